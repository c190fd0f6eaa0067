// Interface texts in Russian and Kazakh, and the number and date formats of each.

const TEXTS = {
  ru: {
    title: "НПО: национальная панель",
    "auth.label": "Токен доступа (роль министерства)",
    "auth.submit": "Открыть панель",
    "auth.change": "Сменить токен",
    "auth.missing": "Для панели нужен токен доступа с ролью министерства. Вставьте его ниже.",
    "auth.expired": "Срок действия токена истёк. Получите новый токен и вставьте его ниже.",
    "auth.rejected": "Сервис не принял токен: он неверен или истёк. Вставьте действующий токен.",
    "auth.malformed": "Это не токен доступа (JWT). Проверьте, что он скопирован целиком.",
    "filter.year": "Год",
    "filter.region": "Регион",
    "filter.district": "Район",
    "filter.sphere": "Сфера",
    "filter.all_years": "Все годы",
    "filter.all_regions": "Весь Казахстан",
    "filter.whole_region": "Весь регион",
    "filter.all_spheres": "Все сферы",
    "as_of": "Данные на {date}",
    region: "Регион",
    by_region: "По регионам",
    by_sphere: "По сферам",
    central: "Центральные органы",
    empty: "Нет данных для выбранных фильтров",
    forbidden: "Эти данные недоступны для вашей роли",
    failed: "Не удалось загрузить данные: {reason}",
    "npos.title": "НПО по регионам и сферам",
    "npos.total": "Действующих НПО",
    "priorities.title": "Приоритеты по уровням риска",
    "priorities.total": "Опубликованных приоритетов",
    "priorities.total_column": "Всего",
    "actions.title": "Совместные мероприятия: план и факт",
    "actions.count": "Мероприятий",
    "actions.planned": "Индикаторов запланировано",
    "actions.measured": "Измерено",
    "actions.met": "Достигнуто",
    "actions.indicators_by_region": "Индикаторы по регионам: запланировано, измерено, достигнуто",
    "recommendations.title": "Рекомендации НПО",
    "recommendations.received": "Поступило",
    "recommendations.forwarded": "Направлено в компетентный орган",
    "recommendations.decided": "Принято решение",
    "recommendations.feedback_given": "Дана обратная связь",
    "recommendations.median_decision": "Медиана до решения, дней",
    "recommendations.median_feedback": "Медиана до обратной связи, дней",
    "compliance.title": "Соблюдение сроков",
    "compliance.note": "Учитывается только фильтр по региону; нарушения на сегодня.",
    "compliance.total": "Нарушений",
    "compliance.findings": "Органы и нарушенные правила",
    "compliance.body": "Орган",
    "compliance.rule": "Правило",
    "compliance.due": "Срок",
    "compliance.records": "Записи",
    "rule.npo_data_collection": "Сбор данных об НПО",
    "rule.needs_assessment": "Оценка потребностей",
    "rule.reception": "Приём представителей НПО",
    "rule.recommendation_feedback": "Обратная связь по рекомендации",
    "rule.officer_request": "Ответ на запрос уполномоченного",
    "rule.vacancy": "Не назначен уполномоченный",
    "rule.annual_report": "Годовой отчёт",
    "record.campaign": "кампания",
    "record.assessment": "оценка",
    "record.reception": "приём",
    "record.recommendation": "рекомендация",
    "record.officer_request": "запрос",
    "reports.title": "Годовые отчёты: сдано в срок",
    "reports.due": "Должны сдать",
    "reports.on_time": "В срок",
    "reports.late": "С опозданием",
    "reports.missing": "Не сдано",
    "reports.rate": "Доля в срок",
  },
  kk: {
    title: "ҮЕҰ: ұлттық панель",
    "auth.label": "Қолжетімділік токені (министрлік рөлі)",
    "auth.submit": "Панельді ашу",
    "auth.change": "Токенді ауыстыру",
    "auth.missing": "Панель үшін министрлік рөлі бар қолжетімділік токені қажет. Оны төменге қойыңыз.",
    "auth.expired": "Токеннің мерзімі өтті. Жаңа токен алып, оны төменге қойыңыз.",
    "auth.rejected": "Қызмет токенді қабылдамады: ол қате немесе мерзімі өткен. Жарамды токенді қойыңыз.",
    "auth.malformed": "Бұл қолжетімділік токені (JWT) емес. Толық көшірілгенін тексеріңіз.",
    "filter.year": "Жыл",
    "filter.region": "Өңір",
    "filter.district": "Аудан",
    "filter.sphere": "Сала",
    "filter.all_years": "Барлық жылдар",
    "filter.all_regions": "Бүкіл Қазақстан",
    "filter.whole_region": "Бүкіл өңір",
    "filter.all_spheres": "Барлық салалар",
    "as_of": "{date} жағдай бойынша деректер",
    region: "Өңір",
    by_region: "Өңірлер бойынша",
    by_sphere: "Салалар бойынша",
    central: "Орталық органдар",
    empty: "Таңдалған сүзгілер бойынша деректер жоқ",
    forbidden: "Бұл деректер сіздің рөліңізге қолжетімсіз",
    failed: "Деректерді жүктеу мүмкін болмады: {reason}",
    "npos.title": "ҮЕҰ өңірлер мен салалар бойынша",
    "npos.total": "Жұмыс істеп тұрған ҮЕҰ",
    "priorities.title": "Тәуекел деңгейлері бойынша басымдықтар",
    "priorities.total": "Жарияланған басымдықтар",
    "priorities.total_column": "Барлығы",
    "actions.title": "Бірлескен іс-шаралар: жоспар және нақты",
    "actions.count": "Іс-шаралар",
    "actions.planned": "Жоспарланған индикаторлар",
    "actions.measured": "Өлшенді",
    "actions.met": "Қол жеткізілді",
    "actions.indicators_by_region": "Өңірлер бойынша индикаторлар: жоспарланған, өлшенген, қол жеткізілген",
    "recommendations.title": "ҮЕҰ ұсынымдары",
    "recommendations.received": "Түсті",
    "recommendations.forwarded": "Құзыретті органға жіберілді",
    "recommendations.decided": "Шешім қабылданды",
    "recommendations.feedback_given": "Кері байланыс берілді",
    "recommendations.median_decision": "Шешімге дейінгі медиана, күн",
    "recommendations.median_feedback": "Кері байланысқа дейінгі медиана, күн",
    "compliance.title": "Мерзімдердің сақталуы",
    "compliance.note": "Тек өңір сүзгісі ескеріледі; бүгінгі бұзушылықтар.",
    "compliance.total": "Бұзушылықтар",
    "compliance.findings": "Органдар және бұзылған ережелер",
    "compliance.body": "Орган",
    "compliance.rule": "Ереже",
    "compliance.due": "Мерзім",
    "compliance.records": "Жазбалар",
    "rule.npo_data_collection": "ҮЕҰ туралы деректер жинау",
    "rule.needs_assessment": "Қажеттіліктерді бағалау",
    "rule.reception": "ҮЕҰ өкілдерін қабылдау",
    "rule.recommendation_feedback": "Ұсыным бойынша кері байланыс",
    "rule.officer_request": "Уәкілдің сұрауына жауап",
    "rule.vacancy": "Уәкіл тағайындалмаған",
    "rule.annual_report": "Жылдық есеп",
    "record.campaign": "науқан",
    "record.assessment": "бағалау",
    "record.reception": "қабылдау",
    "record.recommendation": "ұсыным",
    "record.officer_request": "сұрау",
    "reports.title": "Жылдық есептер: мерзімінде тапсырылды",
    "reports.due": "Тапсыруы тиіс",
    "reports.on_time": "Мерзімінде",
    "reports.late": "Кешіктіріліп",
    "reports.missing": "Тапсырылмады",
    "reports.rate": "Мерзімінде үлесі",
  },
};

const LOCALES = { ru: "ru-RU", kk: "kk-KZ" };

const KAZAKH_MONTHS = [
  "қаңтар",
  "ақпан",
  "наурыз",
  "сәуір",
  "мамыр",
  "маусым",
  "шілде",
  "тамыз",
  "қыркүйек",
  "қазан",
  "қараша",
  "желтоқсан",
];

/**
 * Returns the locale whose number format the current language uses. Browsers built
 * without Kazakh locale data fall back to the root format ("1,234.5"), so Kazakh
 * numbers then use the Russian format, which has the same separators ("1 234,5").
 */
function numberLocale() {
  const wanted = LOCALES[language];
  return Intl.NumberFormat.supportedLocalesOf([wanted]).length ? wanted : LOCALES.ru;
}

export const LANGUAGES = Object.keys(TEXTS);

let language = "ru";

export function setLanguage(code) {
  language = TEXTS[code] ? code : "ru";
  document.documentElement.lang = language;
}

export function currentLanguage() {
  return language;
}

/** Returns the text of `key` in the current language with `{name}` placeholders filled. */
export function t(key, values = {}) {
  const text = TEXTS[language][key] ?? TEXTS.ru[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(numberLocale(), options).format(value);
}

export function formatPercent(share) {
  return new Intl.NumberFormat(numberLocale(), { style: "percent", maximumFractionDigits: 1 }).format(share);
}

/**
 * Formats an ISO date (YYYY-MM-DD) as a calendar date in the current language: "6
 * декабря 2026 г." or "2026 жылғы 6 желтоқсан". The Kazakh form is built here, as
 * browsers without Kazakh locale data print "2026 M12 6".
 */
export function formatDate(isoDate) {
  const [year, month, day] = isoDate.split("-").map(Number);
  if (language === "kk") return `${year} жылғы ${day} ${KAZAKH_MONTHS[month - 1]}`;
  const date = new Date(Date.UTC(year, month - 1, day));
  return new Intl.DateTimeFormat(LOCALES.ru, { dateStyle: "long", timeZone: "UTC" }).format(date);
}

/** Fills every element with a data-i18n attribute with its text. */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  document.title = t("title");
}
