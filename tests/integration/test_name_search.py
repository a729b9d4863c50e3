#!/usr/bin/python3
"""bs_fold, the folded form of names (migration 0021) that three indexes of projects are built on,
gives the same text as its expression written out — lower(unaccent('public.unaccent', t)) — for
accents, ligatures, case, punctuation, spaces and the empty text, and NULL for NULL (migration 0056
rewrote it in PL/pgSQL for speed; the indexes built before stay valid only because the result is
the same). The indexes agree with a sequential scan after an import: every project found by its
folded gemeente, provincie and name through an index is the one a scan finds.

Usage: test_name_search.py --binary BOUWSTROOM --source SRC
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import check, eq, finish, fresh_database, psql  # noqa: E402

TEXTS = ["Fryslân", "FRYSLAN", "fryslan", "Súdwest-Fryslân", "Nuenen, Gerwen en Nederwetten", "'s-Hertogenbosch",
         "Ærø Œuvre straße", "Ĳsselstein", "İzmir ı", "café  crème", "ÅÄÖ åäö ØÆ", "Ñandú", "", " ", "a\tb",
         "Zoë & Chloë", "Ğğ Şş Çç", "ﬁle ﬂow", "½ ² ©", "ǅ ǆ ǈ"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
        r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env,
                           capture_output=True, text=True, timeout=120)
        eq(r.returncode, 0, "sample import " + r.stderr[-300:])
        values = ", ".join("(" + "'" + t.replace("'", "''") + "')" for t in TEXTS)
        diff = psql(url, f"SELECT count(*) FROM (VALUES {values}, (NULL)) v(t) "
                         "WHERE bs_fold(v.t) IS DISTINCT FROM lower(public.unaccent('public.unaccent'::regdictionary, v.t))")
        eq(diff, "0", "bs_fold equals its expression written out")
        eq(psql(url, "SELECT bs_fold('Súdwest-Fryslân') || '|' || (bs_fold(NULL) IS NULL)::text"), "sudwest-fryslan|true",
           "bs_fold of one text")
        # per project, the projects with the same folded gemeente / provincie and those whose folded
        # name contains its folded name: through the folded indexes and by a sequential scan
        n = int(psql(url, "SELECT count(*) FROM projects"))
        for col, cond in (("gemeente", "bs_fold(x.gemeente) = bs_fold(p.gemeente)"),
                          ("provincie", "bs_fold(x.provincie) = bs_fold(p.provincie)"),
                          ("name", "bs_fold(x.name) LIKE '%' || bs_fold(p.name) || '%'")):
            q = (f"SELECT string_agg(p.id::text || ':' || (SELECT count(*) FROM projects x WHERE {cond}), ',' "
                 "ORDER BY p.id) FROM projects p")
            by_scan = psql(url, "SET enable_indexscan = off; SET enable_bitmapscan = off; " + q)
            by_index = psql(url, "SET enable_seqscan = off; " + q)
            eq(by_index, by_scan, f"the folded {col} index finds what a scan finds")
            eq(len(by_scan.split(",")) if by_scan else 0, n, f"every project looked up by its folded {col}")
            check(":0" not in by_scan, f"every project finds itself by its folded {col}", by_scan[:200])
    return finish()


if __name__ == "__main__":
    sys.exit(main())
