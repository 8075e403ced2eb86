/** The baseline for acknowledgement latency: a bare Node HTTP server that reads each request and answers 200. */
import { createServer } from 'node:http';

const server = createServer(async (req, res) => {
  for await (const _ of req);
  res.end();
});
server.listen(Number(process.env.PORT), '127.0.0.1');
