"""part2.paper.books against a local HTTP server: a good file, a wrong checksum, a server that is down."""
import functools
import http.server
import socket
import threading

import pytest

from uvadl2019.checks import UserError
from part2.paper.books import BOOKS, fetch, sha256
from tests.helpers import SHARED_DATA

NAME = "book_TeX_calculus_made_easy.tex"  # the smallest course book


@pytest.fixture
def serve():
    """serve(folder) -> base URL of an HTTP server on 127.0.0.1 for that folder, stopped after the test."""
    servers = []

    def start(folder):
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *args: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_good_file_is_downloaded_verified_and_kept(serve, tmp_path):
    if not (SHARED_DATA / NAME).is_file():
        pytest.skip(f"{SHARED_DATA / NAME} is not here")
    path = fetch(NAME, tmp_path, base_url=serve(SHARED_DATA))
    assert path == tmp_path / NAME and sha256(path) == BOOKS[NAME]
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]
    assert fetch(NAME, tmp_path, base_url="http://127.0.0.1:9/") == path  # present: no download needed


def test_wrong_checksum_saves_nothing(serve, tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / NAME).write_text("not the course's book")
    dest = tmp_path / "assets"
    dest.mkdir()
    with pytest.raises(UserError, match="nothing was saved"):
        fetch(NAME, dest, base_url=serve(served))
    assert list(dest.iterdir()) == []


def test_server_down_is_a_clear_error_and_saves_nothing(tmp_path):
    with socket.socket() as s:  # a port that nothing listens on once this socket is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UserError, match="could not download .* by hand"):
        fetch(NAME, tmp_path, base_url=f"http://127.0.0.1:{port}/", timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_unknown_book_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="unknown book"):
        fetch("book_XX.txt", tmp_path)
