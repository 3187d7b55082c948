// How the browser shows a point in time: "3 May, 14:05" in the viewer's time
// zone. The server renders the same pattern in UTC (Django's "j M, H:i",
// templates/messaging/_message.html) for pages without JavaScript; with it,
// every chat time goes through this one function, history and live alike.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function twoDigits(number) {
  return String(number).padStart(2, "0");
}

export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.getDate()} ${MONTHS[date.getMonth()]}, ${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}`;
}

// Give a <time datetime="…"> its text from formatTime.
export function showTime(node) {
  const text = formatTime(node.dateTime);
  if (text && node.textContent !== text) node.textContent = text;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

// The day a point in time falls on, in the viewer's zone: "Today", "Yesterday" or "Tue 3 May".
export function formatDay(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const key = (d) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (key(date) === key(today)) return "Today";
  if (key(date) === key(yesterday)) return "Yesterday";
  return `${WEEKDAYS[date.getDay()]} ${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()}`;
}
