"""Prints what a PDF reader finds in a PDF as JSON: each page's text, the
addresses its links lead to, its title and language, and the fonts it
embeds (pypdf, an independent reader)."""
import json
import sys

from pypdf import PdfReader

reader = PdfReader(sys.argv[1], strict=True)
links, fonts = [], set()
for page in reader.pages:
    for annot in page.get("/Annots") or []:
        a = annot.get_object()
        action = a.get("/A")
        if a.get("/Subtype") == "/Link" and action is not None:
            links.append(str(action.get_object().get("/URI")))
    resources = page.get("/Resources") or {}
    for font in (resources.get("/Font") or {}).values():
        f = font.get_object()
        for d in f.get("/DescendantFonts") or [f]:
            descriptor = d.get_object().get("/FontDescriptor")
            if descriptor is not None:
                descriptor = descriptor.get_object()
                if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    fonts.add(str(descriptor.get("/FontName")).lstrip("/"))
meta = reader.metadata or {}
print(json.dumps({
    "pages": [page.extract_text() for page in reader.pages],
    "links": links,
    "title": str(meta.get("/Title") or ""),
    "lang": str(reader.trailer["/Root"].get("/Lang") or ""),
    "embedded_fonts": sorted(fonts),
}, ensure_ascii=False))
