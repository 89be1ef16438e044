// The rating a customer clicked in an e-mail is sent as soon as the page opens in a browser. It is a POST
// made by this script, so a mail scanner that only fetches the link records nothing.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    form.requestSubmit();
  }
});
