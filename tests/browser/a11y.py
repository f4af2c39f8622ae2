"""Accessibility checks run inside the page: axe-core, horizontal overflow and focus indicators."""

from __future__ import annotations

import json
from pathlib import Path

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

# axe-core's Japanese messages, copied unchanged from the npm package axe-core@4.12.1
# (locales/ja.json, MPL-2.0), the same version as the axe.min.js bundled in
# axe-playwright-python 0.1.8.
AXE_LOCALE_JA = json.loads((Path(__file__).parent / "axe-locale-ja.json").read_text(encoding="utf-8"))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Page) -> str:
    """Run axe-core (WCAG 2.0 and 2.1, levels A and AA) on the page; return its violations as text.

    Returns an empty string when there is none. Messages are in Japanese.
    """
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        """([locale, tags]) => {
            axe.configure({ locale });
            return axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
        }""",
        [AXE_LOCALE_JA, AXE_TAGS],
    )
    lines = []
    for violation in results["violations"]:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node['failureSummary']}")
    return "\n".join(lines)


def horizontal_overflow(page: Page) -> list[str]:
    """Return the visible elements that stick out past the viewport's right edge.

    Waits for the page's load event first: measured before the stylesheet arrives,
    an unstyled page overflows where the styled one wraps.
    """
    page.wait_for_load_state("load")
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const found = [];
            if (document.documentElement.scrollWidth > width) {
                found.push(`document is ${document.documentElement.scrollWidth}px wide, viewport ${width}px`);
            }
            for (const element of document.body.querySelectorAll("*")) {
                const box = element.getBoundingClientRect();
                if (box.width === 0 || box.height === 0) continue;
                if (box.right > width + 1) {
                    const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
                        + (element.className && typeof element.className === "string" ? "." + element.className.split(" ").join(".") : "");
                    found.push(`${name} ends at ${Math.round(box.right)}px`);
                }
            }
            return found;
        }"""
    )


def focus_indicator(page: Page) -> dict:
    """Describe the focused element and the outline that shows its focus."""
    return page.evaluate(
        """() => {
            const element = document.activeElement;
            const style = getComputedStyle(element);
            return {
                tag: element.tagName.toLowerCase(),
                id: element.id,
                type: element.type || "",
                name: element.name || "",
                text: (element.innerText || element.value || "").trim().slice(0, 40),
                outlineStyle: style.outlineStyle,
                outlineWidth: parseFloat(style.outlineWidth) || 0,
                outlineColor: style.outlineColor,
                focusVisible: element.matches(":focus-visible"),
            };
        }"""
    )
