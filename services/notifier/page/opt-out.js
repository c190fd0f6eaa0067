// Posts the token of the opt-out link to POST /v1/opt-outs once the reader confirms.
// Opening the link alone changes nothing, because mail scanners open links too.

const token = new URLSearchParams(location.search).get("token");
const button = document.getElementById("confirm");
const result = document.getElementById("result");
const apiUrl = new URL("../v1/opt-outs", location.href);

function show(kazakh, russian, kind) {
  result.textContent = `${kazakh} / ${russian}`;
  result.dataset.state = kind;
}

if (!token) {
  show("Сілтемеде белгі жоқ: хаттағы сілтемені толық ашыңыз.", "В ссылке нет метки: откройте ссылку из письма целиком.", "error");
} else {
  button.disabled = false;
}

button.addEventListener("click", async () => {
  button.disabled = true;
  try {
    const response = await fetch(apiUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ token }),
    });
    if (response.ok) {
      show("Бұл мекенжайға енді хат жіберілмейді.", "На этот адрес письма больше не будут отправляться.", "done");
    } else {
      show("Сілтеме жарамсыз.", "Ссылка недействительна.", "error");
    }
  } catch {
    button.disabled = false;
    show("Қызмет жауап бермеді, кейінірек қайталаңыз.", "Сервис не ответил, повторите позже.", "error");
  }
});
