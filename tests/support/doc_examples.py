"""Find the HTTP examples of a markdown document, and compare a JSON answer with a printed one.

The conventions (written for the docs' authors; ``tests/test_doc_examples.py`` applies them):

* **A request** is a fenced block that is either

  - ```` ```sh ```` (or ``bash``/``console``/``shell``) holding one ``curl`` command (lines
    joined on a trailing ``\\``; ``#`` comment lines are ignored). ``-X``, ``-H``, ``-d`` /
    ``--data`` / ``--data-raw``, ``-g`` and ``-i`` are understood, with curl's own defaults
    (``Accept: */*``; ``-d`` makes a POST with ``application/x-www-form-urlencoded``).
  - ```` ```http ```` whose first line is ``METHOD /path`` (a raw HTTP request), then its
    headers, then optionally an empty line and the body.

* **Its answer** is the next fenced block, which must follow it directly (only blank lines
  between) and be either

  - ```` ```http ```` starting with ``HTTP/1.1 <status> <reason>``, then headers, an empty
    line and the JSON body (or no body);
  - ```` ```json ````, optionally starting with a comment line
    ``// HTTP <status>, Header-Name: value, ...``, then the JSON body.

  The status and every header shown are compared with the response (a header that is shown
  must be there with that value; headers not shown are not compared). The body is compared
  as JSON, in full.

* **Elision.** A bare ``...`` (not in quotes) in a printed body stands for what was left out:
  as a member of an object, for the other members; as the last element of an array, for
  further elements; as a value, for any value. Nothing else is skipped.

* **A demo variant.** ``<!-- demo: articles {"pagination": "cursor"} -->`` on the line before
  a request's fence runs that request against the demo with those view set options on
  ``ArticleViewSet`` (same database); the page's prose must say so too, for its readers.

* **A request that is not run** is preceded by ``<!-- not-run: <reason> -->`` on the line
  before its fence. A ``curl`` or HTTP request with neither an answer nor that mark is an
  error, so every example is either checked or visibly excused.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REQUEST_LANGUAGES = {"sh", "bash", "console", "shell"}
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(?P<reason>.+?)\s*-->")
DEMO = re.compile(r"<!--\s*demo:\s*articles\s+(?P<options>\{.*\})\s*-->")
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,})(?P<lang>[\w+-]*)(?P<attrs>[^`]*)$")
_TITLE = re.compile(r'\btitle="(?P<title>[^"]+)"')
_HTTP_REQUEST_LINE = re.compile(r"^(GET|POST|PATCH|PUT|DELETE|HEAD|OPTIONS) (\S+)$")
_STATUS_LINE = re.compile(r"^HTTP/\d(?:\.\d)? (\d{3})(?: .*)?$")
_STATUS_COMMENT = re.compile(r"^//\s*HTTP (\d{3})(?:,\s*(.*))?$")


class Elided:
    """What a bare ``...`` stands for in a printed body."""

    def __repr__(self) -> str:
        return "..."


ELIDED = Elided()


@dataclass
class Block:
    """A fenced code block of a markdown document."""

    language: str
    text: str
    line: int  # 1-based line of the opening fence
    end_line: int  # 1-based line of the closing fence
    not_run: str | None = None  # the reason given by a <!-- not-run: ... --> mark
    demo: dict[str, Any] | None = None  # the options of a <!-- demo: articles {...} --> mark
    title: str | None = None  # ```python title="path/to/file.py"


@dataclass
class Request:
    """An HTTP request as an example shows it."""

    method: str
    url: str  # as written: absolute (curl) or a path with its query string (http block)
    headers: list[tuple[str, str]]
    body: str | None = None


@dataclass
class Answer:
    """The printed answer of an example."""

    status: int | None
    headers: list[tuple[str, str]]
    body: Any  # parsed JSON with ELIDED markers, or None for no body
    line: int


@dataclass
class Example:
    """A request of a document, with its printed answer (or the reason it is not run)."""

    line: int
    request: Request
    answer: Answer | None = None
    not_run: str | None = None
    demo: dict[str, Any] | None = None


def fenced_blocks(markdown: str) -> list[Block]:
    """Every fenced block of ``markdown``, in order, with a preceding not-run mark if any."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence = opening["fence"]
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index])
            index += 1
        previous = lines[start - 1] if start else ""
        mark = NOT_RUN.search(previous)
        demo = DEMO.search(previous)
        blocks.append(
            Block(
                language=opening["lang"].lower(),
                text="\n".join(body),
                line=start + 1,
                end_line=index + 1,
                not_run=mark["reason"] if mark else None,
                demo=json.loads(demo["options"]) if demo else None,
                title=title["title"] if (title := _TITLE.search(opening["attrs"])) else None,
            )
        )
        index += 1
    return blocks


def examples(markdown: str) -> list[Example]:
    """The HTTP examples of ``markdown``, in document order (see the module doc)."""
    blocks = fenced_blocks(markdown)
    lines = markdown.splitlines()
    found: list[Example] = []
    for position, block in enumerate(blocks):
        request = _request(block)
        if request is None:
            continue
        example = Example(line=block.line, request=request, not_run=block.not_run, demo=block.demo)
        following = blocks[position + 1] if position + 1 < len(blocks) else None
        if following is not None and _adjacent(lines, block, following):
            example.answer = _answer(following)
        found.append(example)
    return found


def stray_requests(markdown: str) -> list[int]:
    """Lines of fenced blocks that look like a request but are not written as one."""
    stray = []
    for block in fenced_blocks(markdown):
        if block.language in REQUEST_LANGUAGES or block.language == "http":
            continue
        lines = block.text.splitlines()
        if any(line.lstrip().startswith("curl ") for line in lines) or (
            lines and _HTTP_REQUEST_LINE.match(lines[0])
        ):
            stray.append(block.line)
    return stray


def _adjacent(lines: list[str], first: Block, second: Block) -> bool:
    between = lines[first.end_line : second.line - 1]
    return all(not line.strip() for line in between)


def _request(block: Block) -> Request | None:
    if block.language in REQUEST_LANGUAGES:
        commands = _shell_commands(block.text)
        curls = [command for command in commands if command and command[0] == "curl"]
        if not curls:
            return None
        if len(curls) > 1:
            raise ValueError(f"line {block.line}: one curl command per block, not {len(curls)}")
        return _curl_request(curls[0], block.line)
    if block.language == "http":
        first = block.text.splitlines()[0] if block.text else ""
        match = _HTTP_REQUEST_LINE.match(first)
        if not match:
            return None
        head, _, body = block.text.partition("\n\n")
        headers = [_header(line, block.line) for line in head.splitlines()[1:]]
        return Request(match[1], match[2], headers, body or None)
    return None


def _shell_commands(text: str) -> list[list[str]]:
    joined = re.sub(r"\\\n", " ", text)
    commands: list[list[str]] = []
    for line in _logical_lines(joined):
        if line.strip().startswith("#") or not line.strip():
            continue
        commands.append(shlex.split(line, comments=True))
    return commands


def _logical_lines(text: str) -> list[str]:
    # A quoted argument (curl's -d '{...}') may span lines: split only outside quotes.
    result: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for char in text:
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "\n":
            result.append("".join(current))
            current = []
            continue
        current.append(char)
    result.append("".join(current))
    return result


def _curl_request(argv: list[str], line: int) -> Request:
    method: str | None = None
    headers: list[tuple[str, str]] = []
    body: str | None = None
    url: str | None = None
    arguments = iter(argv[1:])
    for argument in arguments:
        if argument in ("-X", "--request"):
            method = next(arguments)
        elif argument in ("-H", "--header"):
            headers.append(_header(next(arguments), line))
        elif argument in ("-d", "--data", "--data-raw", "--data-binary"):
            body = next(arguments)
        elif argument in ("-g", "--globoff", "-i", "--include", "-s", "--silent"):
            continue
        elif argument.startswith("-"):
            raise ValueError(f"line {line}: curl option {argument!r} is not understood")
        else:
            url = argument
    if url is None:
        raise ValueError(f"line {line}: curl command without a URL")
    names = {name.lower() for name, _ in headers}
    if "accept" not in names:
        headers.append(("Accept", "*/*"))
    if body is not None and "content-type" not in names:
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    return Request(method or ("POST" if body is not None else "GET"), url, headers, body)


def _header(text: str, line: int) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon:
        raise ValueError(f"line {line}: {text!r} is not a header")
    return name.strip(), value.strip()


def _answer(block: Block) -> Answer | None:
    text = block.text
    if block.language == "http":
        match = _STATUS_LINE.match(text.splitlines()[0] if text else "")
        if not match:
            return None
        head, _, body = text.partition("\n\n")
        headers = [_header(line, block.line) for line in head.splitlines()[1:]]
        parsed = parse_printed_json(body) if body.strip() else None
        return Answer(int(match[1]), headers, parsed, block.line)
    if block.language == "json":
        status: int | None = None
        headers = []
        first, _, rest = text.partition("\n")
        comment = _STATUS_COMMENT.match(first.strip())
        if comment:
            status = int(comment[1])
            if comment[2]:
                headers = [_header(part, block.line) for part in _split_headers(comment[2])]
            text = rest
        return Answer(status, headers, parse_printed_json(text), block.line)
    return None


def _split_headers(text: str) -> list[str]:
    # "Content-Type: a; b="x, y"" holds commas inside quotes: split only outside them.
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        if char == "," and not in_quotes:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


_ELIDED_MEMBER_KEY = "\x00elided-member"
_ELIDED_VALUE = "\x00elided"


def parse_printed_json(text: str) -> Any:
    """Parse a printed JSON body in which a bare ``...`` marks what was left out."""
    out: list[str] = []
    stack: list[str] = []  # "{" or "["
    index = 0
    expecting_key = False
    while index < len(text):
        char = text[index]
        if char == '"':
            end = index + 1
            while text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[index : end + 1])
            index = end + 1
            continue
        if text.startswith("...", index):
            if stack and stack[-1] == "{" and expecting_key:
                out.append(f"{json.dumps(_ELIDED_MEMBER_KEY)}: null")
            else:
                out.append(json.dumps(_ELIDED_VALUE))
            index += 3
            continue
        if char in "{[":
            stack.append(char)
            expecting_key = char == "{"
        elif char in "}]":
            stack.pop()
            expecting_key = False
        elif char == ",":
            expecting_key = bool(stack) and stack[-1] == "{"
        elif char == ":":
            expecting_key = False
        out.append(char)
        index += 1
    return _with_markers(json.loads("".join(out)))


def _with_markers(value: Any) -> Any:
    if value == _ELIDED_VALUE:
        return ELIDED
    if isinstance(value, list):
        items = [_with_markers(item) for item in value]
        if any(item is ELIDED for item in items[:-1]):
            raise ValueError("'...' in an array may only stand last")
        return items
    if isinstance(value, dict):
        result = {key: _with_markers(item) for key, item in value.items()}
        if _ELIDED_MEMBER_KEY in result:
            del result[_ELIDED_MEMBER_KEY]
            result[ELIDED] = ELIDED  # type: ignore[index]
        return result
    return value


def differences(printed: Any, actual: Any, path: str = "") -> list[str]:
    """Where ``actual`` differs from ``printed`` (honouring its ``...``), as JSON pointers."""
    where = path or "/"
    if printed is ELIDED:
        return []
    if isinstance(printed, dict):
        if not isinstance(actual, dict):
            return [f"{where}: printed an object, got {json.dumps(actual)}"]
        problems: list[str] = []
        elided = ELIDED in printed
        for key, value in printed.items():
            if key is ELIDED:
                continue
            if key not in actual:
                problems.append(f"{path}/{key}: printed, but missing from the answer")
            else:
                problems += differences(value, actual[key], f"{path}/{key}")
        if not elided:
            for key in actual:
                if key not in printed:
                    problems.append(
                        f"{path}/{key}: in the answer ({json.dumps(actual[key])[:200]}) "
                        "but not printed"
                    )
        return problems
    if isinstance(printed, list):
        if not isinstance(actual, list):
            return [f"{where}: printed an array, got {json.dumps(actual)[:200]}"]
        elided = bool(printed) and printed[-1] is ELIDED
        listed = printed[:-1] if elided else printed
        if len(actual) < len(listed) or (not elided and len(actual) != len(listed)):
            return [f"{where}: printed {len(listed)} elements, the answer has {len(actual)}"]
        problems = []
        for position, value in enumerate(listed):
            problems += differences(value, actual[position], f"{path}/{position}")
        return problems
    if printed != actual or type(printed) is not type(actual):
        return [f"{where}: printed {json.dumps(printed)}, got {json.dumps(actual)}"]
    return []


def mismatches(client: Any, example: Example) -> list[str]:
    """Send ``example``'s request with ``client`` (a ``JsonApiClient``); what differs from
    its printed answer (status, each printed header, the body)."""
    request = example.request
    base_url, target = request_target(request)
    response = client.open(
        target,
        method=request.method,
        base_url=base_url,
        headers=request.headers,
        data=request.body.encode() if request.body is not None else None,
        jsonapi_headers=False,
    )
    answer = example.answer
    assert answer is not None, f"line {example.line}: no printed answer"
    problems: list[str] = []
    if answer.status is not None and response.status_code != answer.status:
        problems.append(f"status: printed {answer.status}, got {response.status_code}")
    for name, value in answer.headers:
        got = response.headers.get(name)
        if got != value:
            problems.append(f"header {name}: printed {value!r}, got {got!r}")
    body = response.get_data(as_text=True)
    if answer.body is None:
        if body:
            problems.append(f"printed no body, got {body[:300]!r}")
    elif not body:
        problems.append("printed a body, got none")
    else:
        problems += differences(answer.body, response.document)
    return problems


def request_target(request: Request) -> tuple[str, str]:
    """``(base_url, path_with_query)`` of a request, its base http://localhost when relative."""
    if request.url.startswith("/"):
        return "http://localhost", request.url
    parts = urlsplit(request.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{parts.scheme}://{parts.netloc}", target


def markdown_files(root: Path) -> list[Path]:
    """README.md and every docs/*.md of the checkout at ``root``."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]
