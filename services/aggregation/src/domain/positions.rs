//! The catalogue of officer positions per level of government body, lowest first, and
//! the minimum rank an officer must have. An appointment below the minimum is invalid.

use serde::Serialize;
use utoipa::ToSchema;

use super::bodies::BodyLevel;

/// A position an officer of a body of some level may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Position {
    /// Stable code, unique within the level.
    pub code: &'static str,
    pub name_ru: &'static str,
}

const fn position(code: &'static str, name_ru: &'static str) -> Position {
    Position { code, name_ru }
}

/// Positions of a ministry or agency, lowest first.
const CENTRAL: &[Position] = &[
    position("chief_expert", "Главный эксперт департамента"),
    position("head_of_division", "Руководитель управления департамента"),
    position(
        "deputy_director_of_department",
        "Заместитель директора департамента",
    ),
    position("director_of_department", "Директор департамента"),
    position("executive_secretary", "Ответственный секретарь"),
    position("vice_minister", "Вице-министр"),
];

/// Positions of an oblast akimat, lowest first.
const REGIONAL: &[Position] = &[
    position(
        "chief_specialist_of_akim_office",
        "Главный специалист аппарата акима области",
    ),
    position(
        "head_of_division_of_akim_office",
        "Руководитель отдела аппарата акима области",
    ),
    position(
        "deputy_head_of_akim_office",
        "Заместитель руководителя аппарата акима области",
    ),
    position("head_of_akim_office", "Руководитель аппарата акима области"),
    position("deputy_akim", "Заместитель акима области"),
];

/// Positions of a regional department (управление), lowest first.
const REGIONAL_DEPARTMENT: &[Position] = &[
    position("chief_specialist", "Главный специалист управления"),
    position("head_of_division", "Руководитель отдела управления"),
    position(
        "deputy_head_of_department",
        "Заместитель руководителя управления",
    ),
    position("head_of_department", "Руководитель управления"),
];

/// Positions of a district or city akimat, lowest first.
const DISTRICT: &[Position] = &[
    position(
        "chief_specialist_of_akim_office",
        "Главный специалист аппарата акима района (города)",
    ),
    position(
        "head_of_division_of_akim_office",
        "Руководитель отдела аппарата акима района (города)",
    ),
    position("deputy_akim", "Заместитель акима района (города)"),
    position(
        "first_deputy_akim",
        "Первый заместитель акима района (города)",
    ),
    position("akim", "Аким района (города)"),
];

/// Returns the positions of `level`, lowest first.
pub fn positions(level: BodyLevel) -> &'static [Position] {
    match level {
        BodyLevel::Central => CENTRAL,
        BodyLevel::Regional => REGIONAL,
        BodyLevel::RegionalDepartment => REGIONAL_DEPARTMENT,
        BodyLevel::District => DISTRICT,
    }
}

/// Returns the lowest position an officer of a body of `level` may hold.
pub fn minimum(level: BodyLevel) -> Position {
    let code = match level {
        BodyLevel::Central => "director_of_department",
        BodyLevel::Regional => "deputy_head_of_akim_office",
        BodyLevel::RegionalDepartment => "deputy_head_of_department",
        BodyLevel::District => "deputy_akim",
    };
    *positions(level)
        .iter()
        .find(|p| p.code == code)
        .expect("every level lists its minimum position")
}

/// Finds position `code` of `level` and checks that it is not below the level's
/// minimum. The error message lists the valid positions or names the minimum.
pub fn check(level: BodyLevel, code: &str) -> Result<Position, String> {
    let listed = positions(level);
    let Some(rank) = listed.iter().position(|p| p.code == code) else {
        let known: Vec<&str> = listed.iter().map(|p| p.code).collect();
        return Err(format!(
            "unknown position '{code}' for a {} body; expected one of {}",
            level.label(),
            known.join(", ")
        ));
    };
    let lowest = minimum(level);
    let lowest_rank = listed
        .iter()
        .position(|p| p.code == lowest.code)
        .unwrap_or_default();
    if rank < lowest_rank {
        return Err(format!(
            "position '{code}' is below the minimum for a {} body, {} ({})",
            level.label(),
            lowest.code,
            lowest.name_ru
        ));
    }
    Ok(listed[rank])
}

/// The positions of one level, as `GET /v1/officer-positions` lists them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LevelPositions {
    pub level: BodyLevel,
    /// Code of the lowest position an officer of this level may hold.
    pub minimum: &'static str,
    /// Positions, lowest first.
    pub positions: Vec<Position>,
}

/// Lists the positions of every level.
pub fn catalogue() -> Vec<LevelPositions> {
    BodyLevel::ALL
        .iter()
        .map(|&level| LevelPositions {
            level,
            minimum: minimum(level).code,
            positions: positions(level).to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_minimum_listed() {
        for level in BodyLevel::ALL {
            let lowest = minimum(*level);
            let rank = positions(*level).iter().position(|p| *p == lowest).unwrap();
            assert!(rank >= 2, "{level:?} lists at least two lower positions");
            assert!(
                rank < positions(*level).len() - 1,
                "{level:?} lists a higher position"
            );
        }
    }

    #[test]
    fn below_minimum_rejected() {
        let error = check(BodyLevel::Central, "head_of_division").unwrap_err();

        assert!(error.contains("director_of_department"), "{error}");
    }

    #[test]
    fn minimum_and_above_accepted() {
        assert!(check(BodyLevel::District, "deputy_akim").is_ok());
        assert!(check(BodyLevel::District, "akim").is_ok());
    }

    #[test]
    fn other_level_position_unknown() {
        let error = check(BodyLevel::Regional, "vice_minister").unwrap_err();

        assert!(error.starts_with("unknown position"), "{error}");
    }
}
