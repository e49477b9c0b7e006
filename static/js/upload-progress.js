// Case upload: progressive enhancement. The upload works without this; it only says that work
// is going on. The text comes from the form's data-upload-busy attribute (translated there).
const form = document.querySelector("[data-upload-form]");
if (form) {
  form.addEventListener("submit", () => {
    const file = form.querySelector("input[type=file]");
    if (!file || !file.files.length) return;
    form.querySelector("[data-upload-progress]").hidden = false;
    form.querySelector("[data-upload-status]").textContent = form.dataset.uploadBusy || "";
    const button = form.querySelector("button[type=submit]");
    // After the browser has taken the post, so the click still submits the form once.
    setTimeout(() => { button.disabled = true; }, 0);
  });
}
