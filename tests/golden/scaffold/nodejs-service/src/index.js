// payments-service: A Node.js service.
'use strict';

const http = require('node:http');

const port = Number(process.env.PORT || 9090);

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: 'payments-service', path: req.url }) + '\n');
});

server.listen(port, () => {
  console.log(`payments-service listening on :${port}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
