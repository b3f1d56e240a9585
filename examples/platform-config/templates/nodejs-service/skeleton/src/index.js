// ${{ values.name }}: ${{ values.description }}
'use strict';

const http = require('node:http');

const port = Number(process.env.PORT || ${{ values.port }});

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: '${{ values.name }}', path: req.url }) + '\n');
});

server.listen(port, () => {
  console.log(`${{ values.name }} listening on :${port}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
