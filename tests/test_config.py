"""Loading sites.yaml: validation, precise error locations, precedence of database sources."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from ingest.config import DEFAULT_DATABASE, Config, ExtractConfig, load_config
from ingest.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_repository_config_loads():
    """config/sites.yaml, the file cron runs, is valid and names the fixture site."""
    config = load_config(REPO / "config" / "sites.yaml", environ={})
    assert [s.name for s in config.sites] == ["skincare"]
    assert config.database == DEFAULT_DATABASE
    assert config.sites[0].allow_private_networks == (ipaddress.ip_network("127.0.0.1/32"),)


def test_defaults_are_filled_in(tmp_path):
    """A minimal site gets the documented defaults."""
    config = load_config(
        _write(tmp_path, "sites:\n  - name: a\n    url: https://a.example\n"), environ={}
    )
    site = config.sites[0]
    assert (site.concurrency, site.delay, site.allow_private_networks) == (2, 0.0, False)
    assert site.url == "https://a.example/"
    assert config.fetch.attempts == 3


def test_typo_names_file_line_key_and_suggestion(tmp_path):
    """An unknown key is an error naming file, line, key path and the likely intended key."""
    path = _write(
        tmp_path,
        "sites:\n  - name: a\n    url: https://a.example/\n  - name: b\n"
        "    url: https://b.example/\n    concurency: 3\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert (
        str(info.value)
        == f'{path}:6: sites[1].concurency: unknown key (did you mean "concurrency"?)'
    )


def test_every_problem_is_reported_at_once(tmp_path):
    """Several problems in one file come back together, each with its own line."""
    path = _write(
        tmp_path,
        "sites:\n  - name: a\n    url: ftp://a.example/\n    delay: -1\nfetch:\n  timeout: 3\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    lines = {(p.line, p.path) for p in info.value.problems}
    assert lines == {(3, "sites[0].url"), (4, "sites[0].delay"), (6, "fetch.timeout")}


def test_missing_required_key(tmp_path):
    """A site without a url says so, pointing at the site."""
    path = _write(tmp_path, "sites:\n  - name: a\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    (problem,) = info.value.problems
    assert (problem.line, problem.path, problem.message) == (2, "sites[0].url", "field required")


def test_duplicate_site_names_rejected(tmp_path):
    """Two sites with one name would share rows; that is an error."""
    path = _write(
        tmp_path,
        "sites:\n  - {name: a, url: 'https://a.example/'}\n  - {name: a, url: 'https://b.example/'}\n",
    )
    with pytest.raises(ConfigError, match="used twice"):
        load_config(path, environ={})


def test_not_yaml_names_the_line(tmp_path):
    """Broken YAML is a ConfigError with the line of the problem."""
    path = _write(tmp_path, "sites:\n  - name: a\n    url: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert info.value.problems[0].line is not None
    assert "not valid YAML" in str(info.value)


def test_missing_file(tmp_path):
    """A missing file is a ConfigError naming it."""
    with pytest.raises(ConfigError, match=r"nosuch\.yaml: cannot read"):
        load_config(tmp_path / "nosuch.yaml", environ={})


def test_database_precedence(tmp_path):
    """The --db flag beats INGEST_DATABASE_URL, which beats the file's database: key > default."""
    path = _write(
        tmp_path, "database: sqlite:///file.db\nsites:\n  - {name: a, url: 'https://a.example/'}\n"
    )
    env = {"INGEST_DATABASE_URL": "sqlite:///env.db"}
    assert load_config(path, environ={}).database == "sqlite:///file.db"
    assert load_config(path, environ=env).database == "sqlite:///env.db"
    assert (
        load_config(path, database="sqlite:///flag.db", environ=env).database == "sqlite:///flag.db"
    )


def test_private_networks_list(tmp_path):
    """allow_private_networks takes true or a list of networks."""
    path = _write(
        tmp_path,
        "sites:\n  - {name: a, url: 'http://10.0.0.5/', allow_private_networks: [10.0.0.0/8]}\n"
        "  - {name: b, url: 'http://127.0.0.1/', allow_private_networks: true}\n",
    )
    a, b = load_config(path, environ={}).sites
    assert a.allow_private_networks == (ipaddress.ip_network("10.0.0.0/8"),)
    assert b.allow_private_networks is True


def test_every_field_is_documented():
    """The docs/config.md page mentions every key of the config models."""
    text = (REPO / "docs" / "config.md").read_text(encoding="utf-8")
    from ingest.config import DedupeConfig, FetchConfig, ParseConfig, SiteConfig  # noqa: PLC0415

    for model in (Config, SiteConfig, ExtractConfig, FetchConfig, ParseConfig, DedupeConfig):
        for name in model.model_fields:
            assert f"`{name}`" in text, name


def test_extract_overrides_are_read_and_their_selectors_checked(tmp_path):
    """A site's extract: block gives its selectors; one lexbor cannot parse is named by line."""
    path = _write(
        tmp_path,
        "sites:\n  - name: a\n    url: http://a.example/\n    extract:\n"
        "      content: 'article .body'\n      drop: ['.share', 'aside.promo']\n"
        "  - {name: b, url: 'http://b.example/'}\n",
    )
    a, b = load_config(path, environ={}).sites
    assert a.extract == ExtractConfig(content="article .body", drop=(".share", "aside.promo"))
    assert b.extract is None
    bad = _write(
        tmp_path,
        "sites:\n  - name: a\n    url: http://a.example/\n    extract:\n      drop:\n"
        "        - '.share'\n        - 'div['\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(bad, environ={})
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (7, "sites[0].extract.drop[1]")
    assert "not a CSS selector: 'div['" in problem.message
