// Mail adapter: SMTP through nodemailer when SMTP_URL is set, otherwise a development outbox table
// (p2p_mail_outbox, shown at /p2p/dev/outbox).
import { sql } from "drizzle-orm";
import type { Executor } from "./sql.ts";

export type Mail = { to: string; subject: string; text: string };
export type Mailer = { kind: "smtp" | "outbox"; send(mail: Mail): Promise<void> };

export async function createMailer(options: { smtpUrl: string | undefined; from: string; db: Executor }): Promise<Mailer> {
  if (options.smtpUrl) {
    const nodemailer = await import("nodemailer");
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      kind: "smtp",
      async send(mail) {
        await transport.sendMail({ from: options.from, to: mail.to, subject: mail.subject, text: mail.text });
      },
    };
  }
  return {
    kind: "outbox",
    async send(mail) {
      await options.db.execute(sql`insert into p2p_mail_outbox ("to", subject, body) values (${mail.to}, ${mail.subject}, ${mail.text})`);
    },
  };
}
