"""What popt-report's HTML carries (tests/lit/monitor/history.test): the
data the page's script draws, that the script element is closed once, and
that the data holds no "<" (which could end or reopen the script)."""
import json
import re
import sys

html = open(sys.argv[1]).read()
m = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
data = json.loads(m.group(1))
series = data["series"]
line = (f"plans {len(series)}, runs {sum(len(s['runs']) for s in series)}, "
        f"op rows {sum(len(s['ops']) for s in series)}, "
        + ("script closed once" if html.count("</script>") == 2 else "script closed more than once")
        + ("" if "<" not in m.group(1) else ", a '<' in the data"))
first = series[0]["ops"][0].get("location", "") if series and series[0]["ops"] else ""
if "</" in first:
    line += f", first location {first}"
print(line)
