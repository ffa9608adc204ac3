"""The names the jurisdiction extractor looks for, built from maintained data.

Countries, their codes and subdivisions come from `pycountry` (ISO 3166-1 and
3166-2); demonyms, capitals and other spellings from `countryinfo`. The
project's own tables, in `classifier/data/`, add what no package holds: the
authorities (regulators, central banks, ministries, courts, legislatures,
police, intergovernmental bodies; each with its jurisdiction, kind and aliases)
and a few places (metonyms such as "Brussels", short forms such as "U.S.", and
blockers, names that look like an authority or a place but are not: "Wall
Street", "bitcoin treasury").

Both packages are read only here, when the extractor is fitted; the fitted
extractor carries the built `Gazetteer`, so prediction needs neither.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
AUTHORITIES_FILE = DATA_DIR / "authorities.csv"
PLACES_FILE = DATA_DIR / "places.csv"

#: The generic kinds the guide allows when an article names no specific body.
GENERIC_KINDS = (
    "government",
    "central bank",
    "regulator",
    "court",
    "police",
    "prosecutors",
    "legislature",
    "tax authority",
)
NONE = "none"
#: Kinds of name. A place alone, acting, means its government ("Pakistan sets aside power").
AUTHORITY, GENERIC, COUNTRY, SUBDIVISION, DEMONYM, METONYM, BLOCK = range(7)
KIND_NAMES = ("authority", "generic", "country", "subdivision", "demonym", "metonym", "block")
#: Subdivisions whose governments act on crypto in the news; a whole world of province names
#: would mostly match towns, people and companies.
SUBDIVISION_COUNTRIES = ("US", "CA", "AU", "IN", "CN", "CH", "BR", "AE", "MY", "DE")
_SUBDIVISION_SUFFIX = re.compile(r"\s+(?:Sheng|Shi|Zizhiqu|Huizu Zizhiqu|Zhuangzu Zizhiqu|Uygur Zizhiqu)$")
_FUNCTION_WORDS = {"the", "of", "and", "for", "de", "la", "du", "des", "&"}


@dataclass(frozen=True)
class Entry:
    """What one alias stands for. `jurisdiction` "*" means: the place named just before it."""

    jurisdiction: str
    authority: str  # canonical name, or the generic kind ("government" for a place)
    kind: int
    generic: str  # the generic kind of `authority`


def fold(text: str) -> str:
    """Drop accents: "Karnātaka" -> "Karnataka", so both spellings can be looked for."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def case_sensitive(alias: str) -> bool:
    """Acronyms and capitalised single words must match their case: "SEC", "Fed", "House", "the Fund".

    Longer names ("Securities and Exchange Commission") match in any case.
    """
    words = [w for w in alias.split() if w.lower() not in _FUNCTION_WORDS]
    return any(c.isupper() for c in alias) and (len(words) <= 1 or alias.isupper())


@dataclass
class Gazetteer:
    """Alias -> entries, plus names of jurisdictions and the canonical authority names.

    Attributes
    ----------
    aliases : dict
        lowercased alias -> (alias as written, case_sensitive, entries).
    local : dict
        lowercased alias -> entries that stand only beside a place ("Nigeria's central bank").
    variants : dict
        lowercased alias -> other spellings of it, each (as written, case_sensitive, entries),
        where the first spelling must match its case: "TRUMP" the memecoin is no actor,
        "Trump" is the White House; "BoJ" is "BOJ".
    names : dict
        jurisdiction code -> its name ("US-TX" -> "Texas").
    authorities : dict
        (jurisdiction, lowercased alias or name) -> canonical authority, for normalising labels.
    kinds : dict
        (jurisdiction, canonical authority) -> its generic kind.
    """

    aliases: dict[str, tuple[str, bool, tuple[Entry, ...]]] = field(default_factory=dict)
    local: dict[str, tuple[str, bool, tuple[Entry, ...]]] = field(default_factory=dict)
    variants: dict[str, list[tuple[str, bool, tuple[Entry, ...]]]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    authorities: dict[tuple[str, str], str] = field(default_factory=dict)
    kinds: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, alias: str, entry: Entry, *, local: bool = False, replace: bool = False) -> None:
        alias = alias.strip()
        if len(alias) < 2:
            return
        table = self.local if local else self.aliases
        for spelling in dict.fromkeys((alias, fold(alias))):
            key = spelling.lower()
            if key in table and not replace:
                written, sensitive, entries = table[key]
                if sensitive and spelling != written and not local:
                    # another case of a case-checked name: its own spelling, its own entries
                    others = self.variants.setdefault(key, [])
                    for i, (other, other_sensitive, other_entries) in enumerate(others):
                        if other == spelling:
                            if entry not in other_entries:
                                others[i] = (other, other_sensitive, (*other_entries, entry))
                            break
                    else:
                        others.append((spelling, case_sensitive(spelling), (entry,)))
                elif entry not in entries:
                    table[key] = (written, sensitive, (*entries, entry))
            else:
                table[key] = (spelling, case_sensitive(spelling), (entry,))

    def name(self, jurisdiction: str) -> str | None:
        return self.names.get(jurisdiction)

    def canonical(self, jurisdiction: str, authority: str) -> str:
        """A label's authority in the table's spelling: ("US", "U.S. SEC") -> "SEC".

        Generic kinds stay generic, except that a kind with exactly one body in the
        jurisdiction is that body: ("RU", "central bank") -> "Bank of Russia".
        """
        authority = (authority or "").strip()
        if jurisdiction == NONE or authority.lower() in ("", NONE):
            return NONE
        key = authority.lower()
        found = self.authorities.get((jurisdiction, key)) or self.authorities.get(("*", key))
        name = found or authority
        if name in GENERIC_KINDS or name.lower() in GENERIC_KINDS:
            name = name.lower()
            unique = self.authorities.get((jurisdiction, f"<unique {name}>"))
            return unique or name
        return name


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def build_gazetteer(authorities_file: Path = AUTHORITIES_FILE, places_file: Path = PLACES_FILE) -> Gazetteer:
    """Read pycountry, countryinfo and the two tables into one Gazetteer.

    Precedence, highest first: blockers and the places table, authorities,
    countries, subdivisions, capitals, demonyms. A later source never
    overrides an earlier one's alias.
    """
    import pycountry
    from countryinfo import all_countries

    gaz = Gazetteer()
    gaz.names.update({"EU": "European Union", "INT": "International"})

    # the project's places: metonyms, short forms, blockers (they win over everything)
    for row in _rows(places_file):
        jurisdiction, authority = row["jurisdiction"], row["authority"].strip()
        if jurisdiction == "-":
            gaz.add(row["alias"], Entry("-", NONE, BLOCK, NONE), replace=True)
        elif authority:
            gaz.add(row["alias"], Entry(jurisdiction, authority, METONYM, "government"), replace=True)
        else:
            kind = SUBDIVISION if "-" in jurisdiction else COUNTRY
            gaz.add(row["alias"], Entry(jurisdiction, "government", kind, "government"), replace=True)

    # authorities: canonical names and aliases; "*" rows are the generic kinds, bound to a place
    by_kind: dict[tuple[str, str], set[str]] = {}
    for row in _rows(authorities_file):
        jurisdiction, authority, kind = row["jurisdiction"], row["authority"], row["kind"]
        generic = "government" if kind == "intergovernmental" else kind
        if generic not in GENERIC_KINDS:
            raise ValueError(
                f"{authorities_file}: {authority!r} has kind {kind!r}, not one of {GENERIC_KINDS}"
            )
        aliases = [a for a in row["aliases"].split("|") if a]
        if jurisdiction == "*":
            entry = Entry("*", authority, GENERIC, generic)
            for alias in aliases:
                gaz.add(alias.lstrip("~"), entry, local=True)
                gaz.authorities[("*", alias.lstrip("~").lower())] = authority
            gaz.authorities[("*", authority.lower())] = authority
            continue
        entry = Entry(jurisdiction, authority, AUTHORITY, generic)
        gaz.kinds[(jurisdiction, authority)] = generic
        if authority not in GENERIC_KINDS:
            by_kind.setdefault((jurisdiction, generic), set()).add(authority)
            gaz.add(authority, entry)
        for alias in aliases:
            gaz.add(alias, entry)
            gaz.authorities.setdefault((jurisdiction, alias.lower()), authority)
        gaz.authorities[(jurisdiction, authority.lower())] = authority
        # labels may write "FSC" for "FSC (South Korea)": the name without its qualifier, in its jurisdiction
        gaz.authorities.setdefault((jurisdiction, re.sub(r"\s*\(.*\)$", "", authority).lower()), authority)
    for (jurisdiction, generic), bodies in by_kind.items():
        if len(bodies) == 1 and generic in ("central bank", "legislature", "tax authority", "regulator"):
            gaz.authorities[(jurisdiction, f"<unique {generic}>")] = next(iter(bodies))

    # countries: ISO names from pycountry, other spellings, capitals and demonyms from countryinfo
    for country in pycountry.countries:
        code = country.alpha_2
        gaz.names[code] = getattr(country, "common_name", None) or country.name
        entry = Entry(code, "government", COUNTRY, "government")
        for name in (
            country.name,
            getattr(country, "common_name", None),
            getattr(country, "official_name", None),
        ):
            if name and "," not in name:
                gaz.add(name, entry)
    infos = []
    for info in all_countries():
        try:
            infos.append((info.iso(2), info.name(), info.alt_spellings(), info.capital(), info.demonym()))
        except (KeyError, AttributeError, TypeError):
            continue
    entries_per_code: dict[str, int] = {}
    for code, *_ in infos:
        entries_per_code[code] = entries_per_code.get(code, 0) + 1
    for code, name, spellings, _, _ in infos:
        if code in gaz.names and name and "(" not in name and entries_per_code[code] == 1:
            gaz.names[code] = name  # the short name news uses: "Russia", not "Russian Federation"
        if code and code in gaz.names:
            entry = Entry(code, "government", COUNTRY, "government")
            for alias in [name, *(spellings or [])]:
                # two- and three-letter codes ("CN", "CHN") are rarely how news names a country
                if alias and len(alias) > 3 and "," not in alias:
                    gaz.add(alias, entry)
    for code, _, _, capital, demonym in infos:
        if code and code in gaz.names:
            for name in capital if isinstance(capital, list) else [capital]:
                if name:
                    gaz.add(name, Entry(code, "government", METONYM, "government"))
            for name in demonym if isinstance(demonym, list) else [demonym]:
                if name:
                    gaz.add(name, Entry(code, "government", DEMONYM, "government"))

    # subdivisions of the countries whose states and provinces act in this news
    for country in SUBDIVISION_COUNTRIES:
        for sub in pycountry.subdivisions.get(country_code=country) or []:
            name = _SUBDIVISION_SUFFIX.sub("", sub.name)
            gaz.names.setdefault(sub.code, fold(name))
            if sub.type in ("Outlying area",):
                continue
            gaz.add(name, Entry(sub.code, "government", SUBDIVISION, "government"))
    # the places table names subdivisions pycountry spells its own way ("Dubayy" is Dubai): the
    # rows whose note says so
    for row in _rows(places_file):
        code = row["jurisdiction"]
        if "-" in code and "pycountry" in row.get("why", "") and not row["authority"].strip():
            gaz.names[code] = row["alias"]
    # names of the other subdivisions the tables use (KR-11, ...)
    used = {e.jurisdiction for _, _, entries in gaz.aliases.values() for e in entries}
    used |= {j for j, _ in gaz.kinds}
    for code in sorted(c for c in used if "-" in c and c not in gaz.names and c != "-"):
        sub = pycountry.subdivisions.get(code=code)
        gaz.names[code] = fold(_SUBDIVISION_SUFFIX.sub("", sub.name)) if sub else code
    return gaz
