// A webhook receiver that checks every request with the `standardwebhooks`
// package (an implementation independent of notibus) and answers 204 when the
// signature verifies, 400 when it does not. Prints its port, then one JSON line
// per request: {valid, id, headers, body}.
//   node verify_receiver.mjs whsec_...
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const wh = new Webhook(process.argv[2]);  // the library takes the whsec_ form itself
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let valid = true;
    try {
      wh.verify(body, req.headers);
    } catch (e) {
      valid = false;
    }
    console.log(JSON.stringify({ valid, id: req.headers['webhook-id'], headers: req.headers, body }));
    res.writeHead(valid ? 204 : 400);
    res.end(valid ? '' : 'signature mismatch');
  });
});
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
