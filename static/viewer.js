// Draws the PDFs of an application page with pdf.js (served by applymail, never a CDN).
// Without JavaScript the page still offers each PDF as a link.
import * as pdfjs from "/static/pdfjs/pdf.min.mjs";

pdfjs.GlobalWorkerOptions.workerSrc = "/static/pdfjs/pdf.worker.min.mjs";

// Pages drawn per document: a CV or a letter rarely has more; the rest is in the download.
const MAX_PAGES = 10;

for (const holder of document.querySelectorAll(".pdf[data-src]")) {
  try {
    const pdf = await pdfjs.getDocument({ url: holder.dataset.src, isEvalSupported: false })
      .promise;
    holder.replaceChildren();
    for (let n = 1; n <= Math.min(pdf.numPages, MAX_PAGES); n++) {
      const page = await pdf.getPage(n);
      const viewport = page.getViewport({ scale: 1.5 });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.className = "page";
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `Page ${n} / ${pdf.numPages}`);
      holder.appendChild(canvas);
      await page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
      canvas.dataset.rendered = "1";
    }
    holder.dataset.pages = String(pdf.numPages);
  } catch (error) {
    const link = document.createElement("a");
    link.href = holder.dataset.src;
    link.textContent = "PDF";
    holder.replaceChildren(link);
    console.error(error);
  }
}
