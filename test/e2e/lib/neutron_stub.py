#!/usr/bin/python3
"""Stand-in for the Neutron API on loopback, for servers booted with --nic none.

Nova (Zed) has no network service of its own and asks Neutron even when an
instance has no ports: `server show` lists ports for security groups, delete
looks up and deallocates ports, the info-cache heal lists ports and networks.
Every collection GET answers an empty list, DELETE succeeds, anything that
would create or change a resource is refused, and every request is logged.

Usage: neutron_stub.py PORT ACCESS_LOG
"""
import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COLLECTION = re.compile(r'^/v2\.0/([a-z][a-z0-9_-]*)(?:\.json)?$')


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    access_log = None

    def _reply(self, status, body=None):
        data = b'' if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _not_found(self, why):
        self._reply(404, {'NeutronError': {'type': 'NotFound', 'message': why,
                                           'detail': ''}})

    def do_GET(self):
        path = self.path.split('?', 1)[0].rstrip('/')
        if path == '':
            return self._reply(200, {'versions': [{
                'id': 'v2.0', 'status': 'CURRENT',
                'links': [{'rel': 'self',
                           'href': 'http://%s/v2.0/' % self.headers.get('Host', '')}]}]})
        m = COLLECTION.match(path)
        if m:
            # "security-groups" -> "security_groups", as Neutron names the key
            return self._reply(200, {m.group(1).replace('-', '_'): []})
        return self._not_found('neutron stub: no resource %s' % path)

    def do_DELETE(self):
        self._reply(204)

    def do_POST(self):
        self._not_found('neutron stub: cannot create %s (boot with --nic none)'
                        % self.path)

    do_PUT = do_POST

    def log_message(self, fmt, *args):
        self.access_log.write('%s %s\n' % (time.strftime('%FT%T'), fmt % args))
        self.access_log.flush()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    Handler.access_log = open(sys.argv[2], 'a')
    ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()


if __name__ == '__main__':
    main()
