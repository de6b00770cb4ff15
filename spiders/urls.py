"""URL helpers: site identity, article-URL shapes of the portal CMS families, link normalisation."""
from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import parse_qs, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Second-level public suffixes that matter for Chinese portals (gov.cn is itself a public suffix, so
# www.lishui.gov.cn and zwgk.lishui.gov.cn share "lishui.gov.cn" while www.gov.cn is its own site).
_SECOND_LEVEL = frozenset({
    "gov.cn", "com.cn", "net.cn", "org.cn", "edu.cn", "ac.cn", "mil.cn",
    "com.hk", "gov.hk", "org.hk", "edu.hk", "gov.mo", "gov.tw", "com.tw",
})

# Document URLs of the CMS families (see docs/portals.md).
ARTICLE_URL = re.compile(
    r"(/\d{6}/t\d{8}_\d+\.s?html?$)"                       # TRS ./YYYYMM/tYYYYMMDD_id.html
    r"|(/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html?$)"   # Hanweb /art/Y/M/D/art_col_id.html
    r"|(/\d{6,8}/[0-9a-f]{32}\.s?html?$)"                  # UCAP /YYYYMM/<32hex>.shtml, Shanghai /YYYYMMDD/<hex>.html
    r"|(content_\d+\.s?html?$)"                            # gov.cn content_<id>.htm
    r"|(/post_\d+\.html?$)"                                # Guangdong gkmlpt
    r"|(/\d{4}/\d{2}-\d{2}/\d+\.s?html?$)"                 # Henan /YYYY/MM-DD/<id>.html
    r"|(/(?:19|20)\d{2}[-_/]?\d{2}(?:[-_/]?\d{2})?/[^/]*\d{3,}[^/]*\.(?:s?html?|jhtml|aspx?|jsp|php)$)"  # date dir + id
    r"|(/article[0-9a-f]{20,}\.html$)"                     # Jiaozuo sitesources .../article<hex>.html
    , re.I)
_LIST_URL = re.compile(r"(/|/index(_\d+)?\.\w+|/col/col\d+/index\.html|/list(_\d+)?\.\w+)$", re.I)
_NON_PAGE_EXT = re.compile(r"\.(css|js|png|jpe?g|gif|bmp|ico|svg|webp|mp4|mp3|swf|flv)$", re.I)
ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|wps|ofd|xlsx?|et|pptx?|zip|rar|7z|txt|ceb|tif)$", re.I)
_REDIRECT_PARAMS = ("url", "target", "u", "link")


def host_of(url: str) -> str:
    """Lower-case host name without port or trailing dot ('' when the URL has none)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


@functools.lru_cache(maxsize=1024)  # a crawl asks about the same few hosts for every link and response
def registered_domain(host: str) -> str:
    """The registrable domain of a host (``zwgk.lishui.gov.cn`` -> ``lishui.gov.cn``); IPs map to themselves."""
    host = host.rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) <= 2:
        return host
    if ".".join(labels[-2:]) in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(url: str, other: str) -> bool:
    """True when both URLs are on the same registrable domain."""
    a, b = host_of(url), host_of(other)
    return bool(a) and registered_domain(a) == registered_domain(b)


def unwrap_redirect(url: str) -> str:
    """Undo site-search redirectors (``.../visit/link.do?url=<encoded target>&q=...``)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    qs = parse_qs(parts.query)
    for key in _REDIRECT_PARAMS:
        for value in qs.get(key, []):
            if value.startswith(("http://", "https://")):
                return value
    return url


def absolute(href: str, base: str) -> str | None:
    """Absolute http(s) URL for a link, without its #fragment; None for javascript:, mailto:, tel:, data:, '#'."""
    href = (href or "").strip().replace("\\", "/")
    if not href or href.startswith("#"):
        return None
    if re.match(r"^(javascript|mailto|tel|data|about|vbscript):", href, re.I):
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def query_params(url: str) -> dict[str, str]:
    """The query parameters of ``url`` in order (blank values kept; a repeated name keeps its last value)."""
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with its query replaced by ``params`` (and no fragment): the next page of a paged API."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))


def looks_like_article(url: str) -> bool:
    """True when the URL's path has one of the document shapes of the known CMS families."""
    return bool(ARTICLE_URL.search(urlsplit(url).path))


def looks_like_list(url: str) -> bool:
    """True for column/list URLs (``.../``, ``index.html``, ``index_3.html``, ``/col/col123/index.html``)."""
    return bool(_LIST_URL.search(urlsplit(url).path)) and not looks_like_article(url)


def is_resource(url: str) -> bool:
    """Stylesheets, scripts, images and media: never documents."""
    return bool(_NON_PAGE_EXT.search(urlsplit(url).path))


def is_attachment_url(url: str) -> bool:
    """File downloads: .pdf/.doc(x)/.wps/.ofd/.xls(x)/.zip/... paths, Hanweb ``downfile.jsp`` and
    ``?filename=x.pdf`` style download handlers."""
    parts = urlsplit(url)
    if ATTACHMENT_EXT.search(parts.path):
        return True
    if re.search(r"down(load)?file|/download/|attachment", parts.path, re.I):
        return True
    if parts.query:
        for values in parse_qs(parts.query).values():
            if any(ATTACHMENT_EXT.search(v) for v in values):
                return True
    return False


_INDEX_FILE = re.compile(r"/(index|default)(_\d+)?\.\w+$", re.I)


def redirected_to_index(url: str, final_url: str, list_urls: list[str] | tuple[str, ...] = ()) -> bool:
    """True when a document URL ended on the site's home page, one of ``list_urls`` or an ancestor directory
    of the document (``/col/202401/t_1.html`` -> ``/col/``): how many portals answer for a removed document.
    A redirect that only adds a trailing slash, changes the scheme or moves the document elsewhere is not."""
    if final_url == url:
        return False
    if any(final_url.rstrip("/") == u.rstrip("/") for u in list_urls):
        return True
    final_dir = _INDEX_FILE.sub("/", urlsplit(final_url).path or "/")
    if final_dir in ("", "/"):
        return True
    if not final_dir.endswith("/"):
        return False
    original = urlsplit(url).path
    return same_site(url, final_url) and original.startswith(final_dir) and \
        original.rstrip("/") != final_dir.rstrip("/")
