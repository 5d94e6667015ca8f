import { notFound } from "next/navigation";
import { Card, Table } from "../../../../components/p2p/ui.tsx";
import { serverServices } from "../../../lib/server-services.ts";

/**
 * Development mail outbox: where e-mails go when SMTP_URL is not set. It shows every verification
 * code, so it does not exist (404) unless this process may use the development tools
 * (UNSAFE_DEV_FEATURES=p2p-dev-tools in production).
 */
export default async function DevOutbox() {
  const { p2p } = await serverServices();
  if (!p2p.config.devTools) notFound();
  if (p2p.mailer.kind !== "outbox") return <p className="text-slate-600">Mail is sent over SMTP.</p>;
  const mails = await p2p.desk.devOutbox();
  return (
    <Card title="Dev outbox (SMTP_URL not set)">
      <Table
        columns={["When", "To", "Subject", "Body"]}
        rows={mails.map((m) => [new Date(String(m.created_at)).toLocaleString("en-GB"), String(m.to), String(m.subject), String(m.body)])}
        empty="No mail yet."
      />
    </Card>
  );
}
