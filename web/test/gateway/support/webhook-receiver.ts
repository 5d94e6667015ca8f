// A real HTTP receiver for webhook tests: records every request (headers, raw body, time) and
// answers with whatever the test's `respond` decides.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type ReceivedRequest = { at: number; headers: http.IncomingHttpHeaders; body: string; eventId: string };

export type Receiver = {
  url: string;
  requests: ReceivedRequest[];
  respond: (request: ReceivedRequest, index: number) => Promise<number> | number;
  close(): Promise<void>;
};

export async function startReceiver(respond: Receiver["respond"] = () => 200): Promise<Receiver> {
  const receiver: Receiver = { url: "", requests: [], respond, close: async () => undefined };
  const server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
    request.on("end", async () => {
      const entry: ReceivedRequest = { at: Date.now(), headers: request.headers, body, eventId: String(request.headers["coinpays-event-id"]) };
      receiver.requests.push(entry);
      const status = await receiver.respond(entry, receiver.requests.length - 1);
      if (!response.destroyed) response.writeHead(status, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
