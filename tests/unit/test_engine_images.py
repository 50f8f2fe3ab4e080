"""Which Docker engine trust_sign asks for the local images: the unix socket the docker CLI would use,
or the CLI itself when DOCKER_HOST, a context or TLS points elsewhere (the molecule scenarios run the
socket path for real; these pin the fall-backs they cannot reach)."""
import http.server
import json
import socketserver
import threading

from ansible_collections.dct.trust_stack.plugins.module_utils import _engine

IMAGES = [{'RepoTags': ['localhost:5000/app:1', 'localhost:5000/app:2', 'other/app:1'],
           'RepoDigests': ['localhost:5000/app@sha256:' + 'a' * 64, 'other/app@sha256:' + 'b' * 64]},
          {'RepoTags': ['localhost:5000/app:3'], 'RepoDigests': []}]


class Handler(http.server.BaseHTTPRequestHandler):
    paths = []

    def do_GET(self):
        Handler.paths.append(self.path)
        body = json.dumps(IMAGES).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class UnixServer(socketserver.UnixStreamServer):
    def get_request(self):
        request, dummy = super().get_request()
        return request, ('local', 0)


def serve(path):
    server = UnixServer(str(path), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_socket_is_the_cli_default_unless_told_otherwise(tmp_path, monkeypatch):
    for name in ('DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY'):
        monkeypatch.delenv(name, raising=False)
    sock = tmp_path / 'docker.sock'
    sock.write_text('')
    monkeypatch.setenv('DOCKER_HOST', 'unix://%s' % sock)
    assert _engine.engine_socket(str(tmp_path)) == str(sock)
    monkeypatch.setenv('DOCKER_HOST', 'tcp://127.0.0.1:2375')
    assert _engine.engine_socket(str(tmp_path)) is None
    monkeypatch.delenv('DOCKER_HOST')
    (tmp_path / 'config.json').write_text(json.dumps({'currentContext': 'remote'}))
    assert _engine.engine_socket(str(tmp_path)) is None
    (tmp_path / 'config.json').write_text(json.dumps({'currentContext': 'default'}))
    monkeypatch.setenv('DOCKER_CONTEXT', 'remote')
    assert _engine.engine_socket(str(tmp_path)) is None


def test_one_request_gives_the_digest_of_every_tag(tmp_path, monkeypatch):
    sock = tmp_path / 'docker.sock'
    server = serve(sock)
    try:
        monkeypatch.setenv('DOCKER_HOST', 'unix://%s' % sock)
        images = _engine.engine_images(str(tmp_path), 'localhost:5000/app', 5)
    finally:
        server.shutdown()
        server.server_close()
    assert images == IMAGES
    assert Handler.paths[-1].startswith('/images/json?filters=')
    by_tag = dict((ref.rpartition(':')[2], image['RepoDigests']) for image in images for ref in image['RepoTags']
                  if ref.startswith('localhost:5000/app:'))
    assert _engine.repo_digest(by_tag['1'], 'localhost:5000/app') == 'a' * 64
    assert _engine.repo_digest(by_tag['3'], 'localhost:5000/app') is None


def test_no_answer_means_ask_the_cli(tmp_path, monkeypatch):
    sock = tmp_path / 'docker.sock'
    sock.write_text('')  # a file, not a listening socket
    monkeypatch.setenv('DOCKER_HOST', 'unix://%s' % sock)
    assert _engine.engine_images(str(tmp_path), 'localhost:5000/app', 5) is None
