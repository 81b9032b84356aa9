#pragma once
// What the manager's page needs from HTML: escaping and its style sheet (screen and print).

#include <string>
#include <string_view>

namespace fristvagt::cohort {

inline std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

inline constexpr char kPageStyle[] = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1b1b;
     max-width:1150px;font-size:14px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 6px;border-bottom:2px solid #1f5f8b}
h3{font-size:15px;margin:18px 0 4px} .meta,.sub{color:#555;font-size:13px;margin:2px 0 8px}
.cards{display:flex;gap:12px;margin:8px 0 4px}
.card{flex:1;border:1px solid #ccc;border-left:6px solid #1f5f8b;padding:8px 12px;background:#fafafa}
.card b{display:block;font-size:24px} .card.r{border-left-color:#c62828} .card.y{border-left-color:#f9a825}
table.t{border-collapse:collapse;margin:4px 0 8px;width:100%}
table.t th{text-align:left;font-weight:600;border-bottom:1px solid #999;padding:3px 6px;font-size:12px}
table.t td{border-bottom:1px solid #e5e5e5;padding:3px 6px;vertical-align:top}
td.n{text-align:right;white-space:nowrap} td.neg{color:#b71c1c;font-weight:600}
td.ev{font-size:11px;color:#444}
.badge{display:inline-block;padding:1px 6px;border-radius:3px;font-size:11px;color:#fff;white-space:nowrap}
.badge.r,.c.r{background:#c62828} .badge.y,.c.y{background:#f9a825;color:#222} .badge.o,.c.o{background:#6d4c41}
summary{cursor:pointer} .cwid{display:inline-block;min-width:150px;font-weight:600}
.c,.h{display:inline-block;min-width:100px;text-align:center;margin-right:6px;padding:1px 4px;border-radius:3px;color:#fff;background:#607d8b}
.h{background:none;color:#1b1b1b;font-size:12px;font-weight:600}
table.cw>tbody>tr>td{padding:2px 0} td.d{white-space:nowrap;font-family:monospace} table.drill{margin-left:12px;width:calc(100% - 12px);font-size:12px}
@media print{body{margin:0;max-width:none;font-size:11px} .team{break-inside:avoid-page}
  section#teams{break-before:page} details:not([open]) summary::after{content:""}}
)";

}  // namespace fristvagt::cohort
