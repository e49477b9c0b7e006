// "Print of bewaar als PDF": the page is print-ready without JavaScript; this only shows a
// button that opens the browser's print dialog (where "Save as PDF" lives).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
