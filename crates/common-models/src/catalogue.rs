//! Fixed catalogues with stable snake_case codes and Russian, Kazakh and
//! English labels.
//!
//! Codes are stored in databases and sent over the API, so a released code
//! must not change. Labels may be reworded.

use serde::Serialize;
use utoipa::ToSchema;

/// Labels of one catalogue entry in the three languages of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Labels {
    /// Russian label.
    pub ru: &'static str,
    /// Kazakh label, in Cyrillic script.
    pub kk: &'static str,
    /// English label.
    pub en: &'static str,
}

/// Closed set of values with stable codes and labels.
pub trait Catalogue: Sized + Copy + 'static {
    /// Catalogue name in snake_case, such as `sphere`.
    const NAME: &'static str;

    /// Returns every value in declaration order.
    fn all() -> &'static [Self];

    /// Returns the stable snake_case code, equal to the serde name.
    fn code(self) -> &'static str;

    /// Returns the labels in Russian, Kazakh and English.
    fn labels(self) -> Labels;

    /// Looks up the value with exactly this code.
    fn from_code(code: &str) -> Option<Self>;
}

/// One catalogue value as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CatalogueEntry {
    /// Stable code of the value.
    pub code: &'static str,
    /// Labels of the value.
    pub labels: Labels,
}

/// Lists every value of catalogue `C` with its code and labels, in declaration
/// order.
pub fn entries<C: Catalogue>() -> Vec<CatalogueEntry> {
    C::all()
        .iter()
        .map(|&value| CatalogueEntry {
            code: value.code(),
            labels: value.labels(),
        })
        .collect()
}

/// Error returned when a string is not a code of the named catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown {} code '{code}', expected a code from the {} catalogue",
    .catalogue.replace('_', " "),
    .catalogue
)]
pub struct UnknownCode {
    /// Name of the catalogue, as in [`Catalogue::NAME`].
    pub catalogue: &'static str,
    /// The rejected input.
    pub code: String,
}

/// Declares a catalogue enum from one table of variants, codes and labels.
///
/// Each variant is serialised under its code and documented with its English
/// label. The macro implements [`Catalogue`], `Display` (the code) and
/// `FromStr` (exact code match).
macro_rules! catalogue {
    (
        $(#[$meta:meta])*
        pub enum $name:ident as $catalogue:tt {
            $(
                $variant:ident = $code:tt {
                    ru: $ru:tt,
                    kk: $kk:tt,
                    en: $en:tt $(,)?
                }
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            utoipa::ToSchema,
        )]
        pub enum $name {
            $(
                #[doc = $en]
                #[serde(rename = $code)]
                $variant,
            )+
        }

        impl $crate::catalogue::Catalogue for $name {
            const NAME: &'static str = $catalogue;

            fn all() -> &'static [Self] {
                &[$($name::$variant),+]
            }

            fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            fn labels(self) -> $crate::catalogue::Labels {
                match self {
                    $(
                        $name::$variant => $crate::catalogue::Labels {
                            ru: $ru,
                            kk: $kk,
                            en: $en,
                        },
                    )+
                }
            }

            fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::catalogue::Catalogue::code(*self))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::catalogue::UnknownCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <Self as $crate::catalogue::Catalogue>::from_code(s).ok_or_else(|| {
                    $crate::catalogue::UnknownCode {
                        catalogue: $catalogue,
                        code: s.to_owned(),
                    }
                })
            }
        }
    };
}

catalogue! {
    /// Area of competence of a government body and area of NPO activity.
    pub enum Sphere as "sphere" {
        Education = "education" {
            ru: "Образование",
            kk: "Білім беру",
            en: "Education",
        },
        Science = "science" {
            ru: "Наука",
            kk: "Ғылым",
            en: "Science",
        },
        Health = "health" {
            ru: "Здравоохранение",
            kk: "Денсаулық сақтау",
            en: "Health care",
        },
        HealthyLifestyle = "healthy_lifestyle" {
            ru: "Здоровый образ жизни",
            kk: "Салауатты өмір салты",
            en: "Healthy lifestyle",
        },
        Youth = "youth" {
            ru: "Молодежная политика",
            kk: "Жастар саясаты",
            en: "Youth policy",
        },
        ChildrenAndFamily = "children_and_family" {
            ru: "Поддержка детей и семьи",
            kk: "Балалар мен отбасын қолдау",
            en: "Children and family support",
        },
        SocialProtection = "social_protection" {
            ru: "Социальная защита",
            kk: "Әлеуметтік қорғау",
            en: "Social protection",
        },
        Disability = "disability" {
            ru: "Поддержка лиц с инвалидностью",
            kk: "Мүгедектігі бар адамдарды қолдау",
            en: "Support for people with disabilities",
        },
        Elderly = "elderly" {
            ru: "Поддержка пожилых людей",
            kk: "Егде жастағы адамдарды қолдау",
            en: "Support for older people",
        },
        Culture = "culture" {
            ru: "Культура и искусство",
            kk: "Мәдениет және өнер",
            en: "Culture and the arts",
        },
        Sport = "sport" {
            ru: "Физическая культура и спорт",
            kk: "Дене шынықтыру және спорт",
            en: "Physical culture and sport",
        },
        Ecology = "ecology" {
            ru: "Экология и охрана окружающей среды",
            kk: "Экология және қоршаған ортаны қорғау",
            en: "Ecology and environmental protection",
        },
        HumanRights = "human_rights" {
            ru: "Защита прав человека",
            kk: "Адам құқықтарын қорғау",
            en: "Human rights protection",
        },
        LegalAid = "legal_aid" {
            ru: "Правовая помощь",
            kk: "Құқықтық көмек",
            en: "Legal aid",
        },
        GenderEquality = "gender_equality" {
            ru: "Гендерное равенство",
            kk: "Гендерлік теңдік",
            en: "Gender equality",
        },
        InterethnicHarmony = "interethnic_harmony" {
            ru: "Межэтническое согласие",
            kk: "Ұлтаралық келісім",
            en: "Interethnic harmony",
        },
        CivicEngagement = "civic_engagement" {
            ru: "Гражданская активность",
            kk: "Азаматтық белсенділік",
            en: "Civic engagement",
        },
        Volunteering = "volunteering" {
            ru: "Волонтерство",
            kk: "Волонтерлік қызмет",
            en: "Volunteering",
        },
        RuralDevelopment = "rural_development" {
            ru: "Развитие села",
            kk: "Ауылды дамыту",
            en: "Rural development",
        },
        Entrepreneurship = "entrepreneurship" {
            ru: "Поддержка предпринимательства",
            kk: "Кәсіпкерлікті қолдау",
            en: "Entrepreneurship support",
        },
        HousingAndUtilities = "housing_and_utilities" {
            ru: "Жилищно-коммунальное хозяйство",
            kk: "Тұрғын үй-коммуналдық шаруашылық",
            en: "Housing and utilities",
        },
        Digitalisation = "digitalisation" {
            ru: "Цифровизация",
            kk: "Цифрландыру",
            en: "Digitalisation",
        },
        Media = "media" {
            ru: "Средства массовой информации",
            kk: "Бұқаралық ақпарат құралдары",
            en: "Media",
        },
        Religion = "religion" {
            ru: "Религия",
            kk: "Дін",
            en: "Religion",
        },
        Other = "other" {
            ru: "Другое",
            kk: "Басқа",
            en: "Other",
        },
    }
}

catalogue! {
    /// Group of people that an NPO works for.
    pub enum TargetGroup as "target_group" {
        Children = "children" {
            ru: "Дети",
            kk: "Балалар",
            en: "Children",
        },
        Youth = "youth" {
            ru: "Молодежь",
            kk: "Жастар",
            en: "Youth",
        },
        Women = "women" {
            ru: "Женщины",
            kk: "Әйелдер",
            en: "Women",
        },
        Families = "families" {
            ru: "Семьи",
            kk: "Отбасылар",
            en: "Families",
        },
        Elderly = "elderly" {
            ru: "Пожилые люди",
            kk: "Егде жастағы адамдар",
            en: "Older people",
        },
        PeopleWithDisabilities = "people_with_disabilities" {
            ru: "Лица с инвалидностью",
            kk: "Мүгедектігі бар адамдар",
            en: "People with disabilities",
        },
        LowIncome = "low_income" {
            ru: "Малообеспеченные граждане",
            kk: "Аз қамтылған азаматтар",
            en: "Low-income people",
        },
        Unemployed = "unemployed" {
            ru: "Безработные",
            kk: "Жұмыссыздар",
            en: "Unemployed people",
        },
        RuralPopulation = "rural_population" {
            ru: "Сельское население",
            kk: "Ауыл тұрғындары",
            en: "Rural population",
        },
        MigrantsAndKandas = "migrants_and_kandas" {
            ru: "Мигранты и кандасы",
            kk: "Мигранттар мен қандастар",
            en: "Migrants and kandas",
        },
        Veterans = "veterans" {
            ru: "Ветераны",
            kk: "Ардагерлер",
            en: "Veterans",
        },
        NgoStaff = "ngo_staff" {
            ru: "Сотрудники НПО",
            kk: "ҮЕҰ қызметкерлері",
            en: "NPO staff",
        },
        CivilServants = "civil_servants" {
            ru: "Государственные служащие",
            kk: "Мемлекеттік қызметшілер",
            en: "Civil servants",
        },
        GeneralPublic = "general_public" {
            ru: "Широкая общественность",
            kk: "Кең жұртшылық",
            en: "General public",
        },
        Other = "other" {
            ru: "Другое",
            kk: "Басқа",
            en: "Other",
        },
    }
}

catalogue! {
    /// Legal form of a non-commercial organisation in Kazakhstan.
    ///
    /// `Institution` is an institution whose founder type is not recorded, and
    /// `PrivateInstitution` one founded by a private person or organisation.
    pub enum LegalForm as "legal_form" {
        PublicAssociation = "public_association" {
            ru: "Общественное объединение",
            kk: "Қоғамдық бірлестік",
            en: "Public association",
        },
        PublicFoundation = "public_foundation" {
            ru: "Общественный фонд",
            kk: "Қоғамдық қор",
            en: "Public foundation",
        },
        AssociationOfLegalEntities = "association_of_legal_entities" {
            ru: "Объединение юридических лиц в форме ассоциации (союза)",
            kk: "Заңды тұлғалардың қауымдастық (одақ) нысанындағы бірлестігі",
            en: "Association (union) of legal entities",
        },
        Institution = "institution" {
            ru: "Учреждение",
            kk: "Мекеме",
            en: "Institution",
        },
        ReligiousAssociation = "religious_association" {
            ru: "Религиозное объединение",
            kk: "Діни бірлестік",
            en: "Religious association",
        },
        ConsumerCooperative = "consumer_cooperative" {
            ru: "Потребительский кооператив",
            kk: "Тұтыну кооперативі",
            en: "Consumer cooperative",
        },
        PrivateInstitution = "private_institution" {
            ru: "Частное учреждение",
            kk: "Жеке мекеме",
            en: "Private institution",
        },
        NonCommercialJointStockCompany = "non_commercial_joint_stock_company" {
            ru: "Некоммерческое акционерное общество",
            kk: "Коммерциялық емес акционерлік қоғам",
            en: "Non-commercial joint-stock company",
        },
        OtherForm = "other_form" {
            ru: "Иная организационно-правовая форма",
            kk: "Өзге ұйымдық-құқықтық нысан",
            en: "Other legal form",
        },
    }
}

catalogue! {
    /// Operating status of an NPO in the registry.
    pub enum NpoStatus as "npo_status" {
        Active = "active" {
            ru: "Действующая",
            kk: "Жұмыс істеп тұрған",
            en: "Active",
        },
        Inactive = "inactive" {
            ru: "Бездействующая",
            kk: "Әрекетсіз",
            en: "Inactive",
        },
        Suspended = "suspended" {
            ru: "Деятельность приостановлена",
            kk: "Қызметі тоқтатыла тұрған",
            en: "Suspended",
        },
        Liquidated = "liquidated" {
            ru: "Ликвидирована",
            kk: "Таратылған",
            en: "Liquidated",
        },
    }
}

catalogue! {
    /// Form of work between a government body and NPOs.
    pub enum FormOfWork as "form_of_work" {
        Consultations = "consultations" {
            ru: "Консультации",
            kk: "Консультациялар",
            en: "Consultations",
        },
        ExpertReview = "expert_review" {
            ru: "Экспертиза",
            kk: "Сараптама",
            en: "Expert review",
        },
        JointEvents = "joint_events" {
            ru: "Совместные мероприятия",
            kk: "Бірлескен іс-шаралар",
            en: "Joint events",
        },
        SocialProjects = "social_projects" {
            ru: "Социальные проекты",
            kk: "Әлеуметтік жобалар",
            en: "Social projects",
        },
        StateSocialOrder = "state_social_order" {
            ru: "Государственный социальный заказ",
            kk: "Мемлекеттік әлеуметтік тапсырыс",
            en: "State social order",
        },
        Grants = "grants" {
            ru: "Гранты",
            kk: "Гранттар",
            en: "Grants",
        },
        Research = "research" {
            ru: "Исследования",
            kk: "Зерттеулер",
            en: "Research",
        },
        Monitoring = "monitoring" {
            ru: "Мониторинг",
            kk: "Мониторинг",
            en: "Monitoring",
        },
        Training = "training" {
            ru: "Обучение",
            kk: "Оқыту",
            en: "Training",
        },
        InformationCampaigns = "information_campaigns" {
            ru: "Информационные кампании",
            kk: "Ақпараттық науқандар",
            en: "Information campaigns",
        },
        Volunteering = "volunteering" {
            ru: "Волонтерство",
            kk: "Волонтерлік қызмет",
            en: "Volunteering",
        },
        PublicCouncils = "public_councils" {
            ru: "Общественные советы",
            kk: "Қоғамдық кеңестер",
            en: "Public councils",
        },
        WorkingGroups = "working_groups" {
            ru: "Рабочие группы",
            kk: "Жұмыс топтары",
            en: "Working groups",
        },
    }
}

catalogue! {
    /// Source of data about an NPO.
    pub enum InformationSource as "information_source" {
        NpoDatabase = "npo_database" {
            ru: "База данных НПО",
            kk: "ҮЕҰ дерекқоры",
            en: "NPO database",
        },
        RegistrationData = "registration_data" {
            ru: "Открытые регистрационные данные юридических лиц",
            kk: "Заңды тұлғалардың ашық тіркеу деректері",
            en: "Open registration data of legal entities",
        },
        PublicProcurementPortal = "public_procurement_portal" {
            ru: "Портал государственных закупок",
            kk: "Мемлекеттік сатып алу порталы",
            en: "Public procurement portal",
        },
        MinistryWebsite = "ministry_website" {
            ru: "Сайт министерства",
            kk: "Министрліктің сайты",
            en: "Ministry website",
        },
        ResourceCentres = "resource_centres" {
            ru: "Ресурсные центры НПО",
            kk: "ҮЕҰ ресурстық орталықтары",
            en: "NPO resource centres",
        },
        Media = "media" {
            ru: "Средства массовой информации",
            kk: "Бұқаралық ақпарат құралдары",
            en: "Media",
        },
        SocialNetworks = "social_networks" {
            ru: "Социальные сети",
            kk: "Әлеуметтік желілер",
            en: "Social networks",
        },
        NpoRepresentatives = "npo_representatives" {
            ru: "Представители НПО",
            kk: "ҮЕҰ өкілдері",
            en: "NPO representatives",
        },
        OtherSource = "other_source" {
            ru: "Иной источник",
            kk: "Өзге дереккөз",
            en: "Other source",
        },
    }
}

catalogue! {
    /// Form of interaction between a government body and an NPO.
    pub enum InteractionForm as "interaction_form" {
        Bilateral = "bilateral" {
            ru: "Двустороннее",
            kk: "Екіжақты",
            en: "Bilateral",
        },
        Multilateral = "multilateral" {
            ru: "Многостороннее",
            kk: "Көпжақты",
            en: "Multilateral",
        },
        Direct = "direct" {
            ru: "Непосредственное",
            kk: "Тікелей",
            en: "Direct",
        },
        Mediated = "mediated" {
            ru: "Опосредованное",
            kk: "Жанама",
            en: "Mediated",
        },
        Formal = "formal" {
            ru: "Формальное",
            kk: "Ресми",
            en: "Formal",
        },
        Informal = "informal" {
            ru: "Неформальное",
            kk: "Бейресми",
            en: "Informal",
        },
    }
}

catalogue! {
    /// Channel through which a government body and an NPO communicate.
    pub enum InteractionChannel as "interaction_channel" {
        InPerson = "in_person" {
            ru: "Личный прием",
            kk: "Жеке қабылдау",
            en: "In person",
        },
        Phone = "phone" {
            ru: "Телефон",
            kk: "Телефон",
            en: "Phone",
        },
        Post = "post" {
            ru: "Почта",
            kk: "Пошта",
            en: "Post",
        },
        Email = "email" {
            ru: "Электронная почта",
            kk: "Электрондық пошта",
            en: "Email",
        },
        GovernmentWebsite = "government_website" {
            ru: "Интернет-ресурс государственного органа",
            kk: "Мемлекеттік органның интернет-ресурсы",
            en: "Government body website",
        },
        EgovPortal = "egov_portal" {
            ru: "Портал электронного правительства",
            kk: "Электрондық үкімет порталы",
            en: "eGov portal",
        },
        DigitalAppeals = "digital_appeals" {
            ru: "Цифровые обращения",
            kk: "Цифрлық өтініштер",
            en: "Digital appeals",
        },
        Messenger = "messenger" {
            ru: "Мессенджеры",
            kk: "Мессенджерлер",
            en: "Messengers",
        },
        ChatBot = "chat_bot" {
            ru: "Чат-бот",
            kk: "Чат-бот",
            en: "Chat bot",
        },
        SocialNetwork = "social_network" {
            ru: "Социальные сети",
            kk: "Әлеуметтік желілер",
            en: "Social networks",
        },
    }
}

catalogue! {
    /// Source of information for a needs assessment.
    ///
    /// Primary sources are collected by the government body itself, and
    /// secondary sources are data that others have already published.
    pub enum NeedsInformationSource as "needs_information_source" {
        Media = "media" {
            ru: "Средства массовой информации",
            kk: "Бұқаралық ақпарат құралдары",
            en: "Media",
        },
        OfficialStatistics = "official_statistics" {
            ru: "Официальная статистика",
            kk: "Ресми статистика",
            en: "Official statistics",
        },
        NpoProjectReports = "npo_project_reports" {
            ru: "Отчеты НПО о реализации проектов",
            kk: "ҮЕҰ жобаларын іске асыру туралы есептер",
            en: "NPO project reports",
        },
        StateProgrammes = "state_programmes" {
            ru: "Государственные программы",
            kk: "Мемлекеттік бағдарламалар",
            en: "State programmes",
        },
        Studies = "studies" {
            ru: "Исследования",
            kk: "Зерттеулер",
            en: "Studies",
        },
        NpoMeetings = "npo_meetings" {
            ru: "Встречи с НПО",
            kk: "ҮЕҰ өкілдерімен кездесулер",
            en: "Meetings with NPOs",
        },
        OwnStudies = "own_studies" {
            ru: "Собственные исследования",
            kk: "Өзіндік зерттеулер",
            en: "Own studies",
        },
        NpoProposals = "npo_proposals" {
            ru: "Предложения НПО",
            kk: "ҮЕҰ ұсыныстары",
            en: "NPO proposals",
        },
    }
}

impl NeedsInformationSource {
    /// Reports whether the government body collects this information itself.
    pub fn is_primary(self) -> bool {
        match self {
            Self::NpoMeetings | Self::OwnStudies | Self::NpoProposals => true,
            Self::Media
            | Self::OfficialStatistics
            | Self::NpoProjectReports
            | Self::StateProgrammes
            | Self::Studies => false,
        }
    }
}

catalogue! {
    /// Stage of a needs assessment: drafted, collecting information, analysed, and
    /// published as a public report.
    pub enum AssessmentStatus as "assessment_status" {
        Draft = "draft" {
            ru: "Черновик",
            kk: "Жоба",
            en: "Draft",
        },
        Collecting = "collecting" {
            ru: "Сбор информации",
            kk: "Ақпарат жинау",
            en: "Collecting information",
        },
        Analysed = "analysed" {
            ru: "Анализ завершен",
            kk: "Талдау аяқталды",
            en: "Analysed",
        },
        Published = "published" {
            ru: "Опубликован",
            kk: "Жарияланды",
            en: "Published",
        },
    }
}

catalogue! {
    /// Likelihood that the risk of leaving a problem unsolved materialises.
    pub enum RiskLevel as "risk_level" {
        High = "high" {
            ru: "высокий",
            kk: "жоғары",
            en: "High",
        },
        Medium = "medium" {
            ru: "средний",
            kk: "орташа",
            en: "Medium",
        },
        Low = "low" {
            ru: "низкий",
            kk: "төмен",
            en: "Low",
        },
    }
}

impl RiskLevel {
    /// Returns the rank of the level in priority lists: 1 for high, 3 for low.
    pub fn rank(self) -> i32 {
        match self {
            Self::High => 1,
            Self::Medium => 2,
            Self::Low => 3,
        }
    }
}

catalogue! {
    /// Form of an event held to identify society's needs.
    pub enum AssessmentActivityForm as "assessment_activity_form" {
        Meeting = "meeting" {
            ru: "Встреча",
            kk: "Кездесу",
            en: "Meeting",
        },
        RoundTable = "round_table" {
            ru: "Круглый стол",
            kk: "Дөңгелек үстел",
            en: "Round table",
        },
        FocusGroup = "focus_group" {
            ru: "Фокус-группа",
            kk: "Фокус-топ",
            en: "Focus group",
        },
        Survey = "survey" {
            ru: "Анкетирование",
            kk: "Сауалнама",
            en: "Survey",
        },
        Interview = "interview" {
            ru: "Интервью",
            kk: "Сұхбат",
            en: "Interview",
        },
        Study = "study" {
            ru: "Исследование",
            kk: "Зерттеу",
            en: "Study",
        },
        PublicHearing = "public_hearing" {
            ru: "Общественные слушания",
            kk: "Қоғамдық тыңдау",
            en: "Public hearing",
        },
        OnlineConsultation = "online_consultation" {
            ru: "Онлайн-консультация",
            kk: "Онлайн кеңес",
            en: "Online consultation",
        },
        Other = "other" {
            ru: "Иная форма",
            kk: "Өзге нысан",
            en: "Other",
        },
    }
}

catalogue! {
    /// Category of the people taking part in an event.
    pub enum ParticipantCategory as "participant_category" {
        Npo = "npo" {
            ru: "Представители НПО",
            kk: "ҮЕҰ өкілдері",
            en: "NPO representatives",
        },
        GovernmentBodies = "government_bodies" {
            ru: "Государственные органы",
            kk: "Мемлекеттік органдар",
            en: "Government bodies",
        },
        Citizens = "citizens" {
            ru: "Граждане",
            kk: "Азаматтар",
            en: "Citizens",
        },
        Experts = "experts" {
            ru: "Эксперты",
            kk: "Сарапшылар",
            en: "Experts",
        },
        Business = "business" {
            ru: "Бизнес",
            kk: "Бизнес өкілдері",
            en: "Business",
        },
        Media = "media" {
            ru: "СМИ",
            kk: "БАҚ",
            en: "Media",
        },
        InternationalOrganisations = "international_organisations" {
            ru: "Международные организации",
            kk: "Халықаралық ұйымдар",
            en: "International organisations",
        },
        Other = "other" {
            ru: "Иные участники",
            kk: "Өзге қатысушылар",
            en: "Other",
        },
    }
}

catalogue! {
    /// Stage of a proposal for joint action: drafted by the officer, or agreed with the
    /// management of the government body.
    pub enum ProposalStatus as "proposal_status" {
        Draft = "draft" {
            ru: "Проект",
            kk: "Жоба",
            en: "Draft",
        },
        Agreed = "agreed" {
            ru: "Согласовано",
            kk: "Келісілді",
            en: "Agreed",
        },
    }
}

catalogue! {
    /// Stage of a joint action of a government body with NPOs.
    pub enum ActionStatus as "action_status" {
        Draft = "draft" {
            ru: "Проект",
            kk: "Жоба",
            en: "Draft",
        },
        Agreed = "agreed" {
            ru: "Согласовано",
            kk: "Келісілді",
            en: "Agreed",
        },
        InProgress = "in_progress" {
            ru: "Выполняется",
            kk: "Орындалуда",
            en: "In progress",
        },
        Completed = "completed" {
            ru: "Завершено",
            kk: "Аяқталды",
            en: "Completed",
        },
        Evaluated = "evaluated" {
            ru: "Оценено",
            kk: "Бағаланды",
            en: "Evaluated",
        },
        Cancelled = "cancelled" {
            ru: "Отменено",
            kk: "Тоқтатылды",
            en: "Cancelled",
        },
    }
}

catalogue! {
    /// How often an indicator of a monitoring plan is measured.
    pub enum MeasurementFrequency as "measurement_frequency" {
        Monthly = "monthly" {
            ru: "Ежемесячно",
            kk: "Ай сайын",
            en: "Monthly",
        },
        Quarterly = "quarterly" {
            ru: "Ежеквартально",
            kk: "Тоқсан сайын",
            en: "Quarterly",
        },
        HalfYearly = "half_yearly" {
            ru: "Раз в полугодие",
            kk: "Жарты жылда бір рет",
            en: "Half-yearly",
        },
        Yearly = "yearly" {
            ru: "Ежегодно",
            kk: "Жыл сайын",
            en: "Yearly",
        },
        Once = "once" {
            ru: "Однократно",
            kk: "Бір рет",
            en: "Once",
        },
    }
}

impl MeasurementFrequency {
    /// Returns the months between two measurements, or `None` for a single one.
    pub fn months(self) -> Option<u32> {
        match self {
            Self::Monthly => Some(1),
            Self::Quarterly => Some(3),
            Self::HalfYearly => Some(6),
            Self::Yearly => Some(12),
            Self::Once => None,
        }
    }
}

#[cfg(test)]
mod tests;
