// "Print of bewaar als PDF": the report is print-ready without JavaScript (the page says how to
// use the browser's print command); this only shows a button that opens the print dialog, where
// "Save as PDF" lives.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
