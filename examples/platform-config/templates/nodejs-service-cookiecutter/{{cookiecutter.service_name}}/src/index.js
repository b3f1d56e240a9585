// {{ cookiecutter.service_name }}: {{ cookiecutter.description }}
'use strict';

const http = require('node:http');

const port = Number(process.env.PORT || {{ cookiecutter.port }});

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: '{{ cookiecutter.service_name }}', path: req.url }) + '\n');
});

server.listen(port, () => {
  console.log(`{{ cookiecutter.service_name }} listening on :${port}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
