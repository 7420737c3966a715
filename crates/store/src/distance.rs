//! LangChain's `DistanceStrategy`: which Faiss metric a new store uses, how a raw
//! `score_threshold` compares, and which relevance function applies.

use std::fmt;
use std::str::FromStr;

use ferrofaiss_index::MetricType;

/// How scores are measured and compared, as LangChain's `DistanceStrategy` enum.
///
/// Only [`DistanceStrategy::MaxInnerProduct`] gives an inner-product index; every other
/// strategy gives a squared-L2 index, exactly as LangChain's `from_texts` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DistanceStrategy {
    /// `EUCLIDEAN_DISTANCE`: squared L2 distance, lower is better (the default).
    #[default]
    EuclideanDistance,
    /// `MAX_INNER_PRODUCT`: inner product on an IP index, higher is better.
    MaxInnerProduct,
    /// `DOT_PRODUCT`: accepted for compatibility; searches an L2 index and has no
    /// relevance function.
    DotProduct,
    /// `JACCARD`: accepted for compatibility; L2 index, raw thresholds compare with `>=`,
    /// no relevance function.
    Jaccard,
    /// `COSINE`: L2 index; relevance is `1 - score`.
    Cosine,
}

impl DistanceStrategy {
    /// Every strategy, in LangChain's declaration order.
    pub const ALL: [DistanceStrategy; 5] = [
        DistanceStrategy::EuclideanDistance,
        DistanceStrategy::MaxInnerProduct,
        DistanceStrategy::DotProduct,
        DistanceStrategy::Jaccard,
        DistanceStrategy::Cosine,
    ];

    /// LangChain's name for the strategy (`"EUCLIDEAN_DISTANCE"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DistanceStrategy::EuclideanDistance => "EUCLIDEAN_DISTANCE",
            DistanceStrategy::MaxInnerProduct => "MAX_INNER_PRODUCT",
            DistanceStrategy::DotProduct => "DOT_PRODUCT",
            DistanceStrategy::Jaccard => "JACCARD",
            DistanceStrategy::Cosine => "COSINE",
        }
    }

    /// The metric of the index a new store builds for this strategy.
    pub fn metric(self) -> MetricType {
        match self {
            DistanceStrategy::MaxInnerProduct => MetricType::InnerProduct,
            _ => MetricType::L2,
        }
    }

    /// Whether a raw `score_threshold` keeps scores `>=` it (`MAX_INNER_PRODUCT`,
    /// `JACCARD`) rather than `<=` it (every other strategy).
    pub fn higher_is_better(self) -> bool {
        matches!(
            self,
            DistanceStrategy::MaxInnerProduct | DistanceStrategy::Jaccard
        )
    }

    /// Whether a raw score passes a raw `score_threshold` (inclusive comparison).
    pub fn passes_threshold(self, score: f32, threshold: f32) -> bool {
        if self.higher_is_better() {
            score >= threshold
        } else {
            score <= threshold
        }
    }
}

impl fmt::Display for DistanceStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`DistanceStrategy`] from a name LangChain does not define;
/// it converts into [`StoreError::UnknownDistanceStrategy`](crate::StoreError::UnknownDistanceStrategy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDistanceStrategy(pub String);

impl fmt::Display for UnknownDistanceStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown distance strategy {:?}; expected one of EUCLIDEAN_DISTANCE, MAX_INNER_PRODUCT, DOT_PRODUCT, JACCARD, COSINE",
            self.0
        )
    }
}

impl std::error::Error for UnknownDistanceStrategy {}

impl FromStr for DistanceStrategy {
    type Err = UnknownDistanceStrategy;

    /// Parses LangChain's names, case-insensitively (`"COSINE"`, `"cosine"`).
    /// Unlike LangChain, an unknown name is an error rather than a silently accepted
    /// strategy.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DistanceStrategy::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownDistanceStrategy(s.to_string()))
    }
}

/// Serializes as LangChain's name (`"EUCLIDEAN_DISTANCE"`), as [`fmt::Display`] writes it.
impl serde::Serialize for DistanceStrategy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Deserializes LangChain's names as [`FromStr`] parses them (case-insensitively); an
/// unknown name is a deserializer error.
impl<'de> serde::Deserialize<'de> for DistanceStrategy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_uses_langchain_names() {
        for d in DistanceStrategy::ALL {
            let json = serde_json::to_value(d).unwrap();
            assert_eq!(json, serde_json::Value::String(d.to_string()));
            assert_eq!(serde_json::from_value::<DistanceStrategy>(json).unwrap(), d);
        }
        assert_eq!(
            serde_json::from_str::<DistanceStrategy>("\"cosine\"").unwrap(),
            DistanceStrategy::Cosine
        );
        let err = serde_json::from_str::<DistanceStrategy>("\"fake\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown distance strategy"),
            "{err}"
        );
    }

    #[test]
    fn names_round_trip_and_unknown_is_an_error() {
        for d in DistanceStrategy::ALL {
            assert_eq!(d.as_str().parse::<DistanceStrategy>().unwrap(), d);
            assert_eq!(
                d.as_str()
                    .to_ascii_lowercase()
                    .parse::<DistanceStrategy>()
                    .unwrap(),
                d
            );
        }
        assert!(matches!(
            "fake".parse::<DistanceStrategy>(),
            Err(UnknownDistanceStrategy(s)) if s == "fake"
        ));
    }

    #[test]
    fn only_max_inner_product_uses_an_ip_index() {
        for d in DistanceStrategy::ALL {
            let want = if d == DistanceStrategy::MaxInnerProduct {
                MetricType::InnerProduct
            } else {
                MetricType::L2
            };
            assert_eq!(d.metric(), want);
        }
    }

    #[test]
    fn threshold_direction_follows_langchain() {
        assert!(DistanceStrategy::MaxInnerProduct.passes_threshold(1.0, 1.0));
        assert!(!DistanceStrategy::MaxInnerProduct.passes_threshold(0.5, 1.0));
        assert!(DistanceStrategy::Jaccard.passes_threshold(4.0, 1.0));
        assert!(!DistanceStrategy::Jaccard.passes_threshold(0.0, 1.0));
        for d in [
            DistanceStrategy::EuclideanDistance,
            DistanceStrategy::Cosine,
            DistanceStrategy::DotProduct,
        ] {
            assert!(d.passes_threshold(1.0, 1.0));
            assert!(!d.passes_threshold(1.5, 1.0));
        }
    }
}
