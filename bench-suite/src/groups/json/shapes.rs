//! The typed shapes of the bench files, in two flavours each: `*Full` reads every field
//! (`deny_unknown_fields` proves it), `*Few` reads a handful and lets the parser skip the rest,
//! the common case in a service. `digest` folds a parsed value into the answer each case must
//! agree on.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::bodies::{mix, mix_str};

// ---- twitter.json ----

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TwitterFull {
    statuses: Vec<Status>,
    search_metadata: SearchMetadata,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Status {
    metadata: StatusMetadata,
    created_at: String,
    id: u64,
    id_str: String,
    text: String,
    source: String,
    truncated: bool,
    in_reply_to_status_id: Option<u64>,
    in_reply_to_status_id_str: Option<String>,
    in_reply_to_user_id: Option<u64>,
    in_reply_to_user_id_str: Option<String>,
    in_reply_to_screen_name: Option<String>,
    user: User,
    geo: Option<()>,
    coordinates: Option<()>,
    place: Option<()>,
    contributors: Option<()>,
    retweeted_status: Option<Box<Status>>,
    retweet_count: u64,
    favorite_count: u64,
    entities: Entities,
    favorited: bool,
    retweeted: bool,
    possibly_sensitive: Option<bool>,
    lang: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusMetadata {
    result_type: String,
    iso_language_code: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct User {
    id: u64,
    id_str: String,
    name: String,
    screen_name: String,
    location: String,
    description: String,
    url: Option<String>,
    entities: UserEntities,
    protected: bool,
    followers_count: u64,
    friends_count: u64,
    listed_count: u64,
    created_at: String,
    favourites_count: u64,
    utc_offset: Option<i64>,
    time_zone: Option<String>,
    geo_enabled: bool,
    verified: bool,
    statuses_count: u64,
    lang: String,
    contributors_enabled: bool,
    is_translator: bool,
    is_translation_enabled: bool,
    profile_background_color: String,
    profile_background_image_url: String,
    profile_background_image_url_https: String,
    profile_background_tile: bool,
    profile_image_url: String,
    profile_image_url_https: String,
    profile_banner_url: Option<String>,
    profile_link_color: String,
    profile_sidebar_border_color: String,
    profile_sidebar_fill_color: String,
    profile_text_color: String,
    profile_use_background_image: bool,
    default_profile: bool,
    default_profile_image: bool,
    following: bool,
    follow_request_sent: bool,
    notifications: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntities {
    url: Option<UrlList>,
    description: UrlList,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UrlList {
    urls: Vec<Url>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Url {
    url: String,
    expanded_url: String,
    display_url: String,
    indices: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entities {
    hashtags: Vec<Hashtag>,
    symbols: Vec<Hashtag>,
    urls: Vec<Url>,
    user_mentions: Vec<UserMention>,
    media: Option<Vec<Media>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hashtag {
    text: String,
    indices: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserMention {
    screen_name: String,
    name: String,
    id: u64,
    id_str: String,
    indices: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Media {
    id: u64,
    id_str: String,
    indices: Vec<u32>,
    media_url: String,
    media_url_https: String,
    url: String,
    display_url: String,
    expanded_url: String,
    #[serde(rename = "type")]
    kind: String,
    sizes: Sizes,
    source_status_id: Option<u64>,
    source_status_id_str: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sizes {
    medium: Size,
    small: Size,
    thumb: Size,
    large: Size,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Size {
    w: u32,
    h: u32,
    resize: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchMetadata {
    completed_in: f64,
    max_id: u64,
    max_id_str: String,
    next_results: String,
    query: String,
    refresh_url: String,
    count: u64,
    since_id: u64,
    since_id_str: String,
}

impl Status {
    fn digest(&self, acc: u64) -> u64 {
        let mut acc = mix(acc, self.id);
        acc = mix_str(acc, &self.text);
        acc = mix(acc, self.user.followers_count);
        acc = mix_str(acc, &self.user.profile_text_color);
        acc = mix(acc, self.entities.urls.len() as u64);
        acc = mix(
            acc,
            self.entities
                .media
                .as_ref()
                .map_or(0, |m| m.iter().map(|m| u64::from(m.sizes.large.w)).sum()),
        );
        match &self.retweeted_status {
            Some(inner) => inner.digest(acc),
            None => acc,
        }
    }
}

impl TwitterFull {
    pub(super) fn digest(&self) -> u64 {
        let acc = mix(0, self.search_metadata.max_id);
        self.statuses.iter().fold(acc, |acc, s| s.digest(acc))
    }
}

#[derive(Deserialize)]
pub(super) struct TwitterFew {
    statuses: Vec<StatusFew>,
}

#[derive(Deserialize)]
struct StatusFew {
    id: u64,
    text: String,
    retweet_count: u64,
    user: UserFew,
}

#[derive(Deserialize)]
struct UserFew {
    screen_name: String,
    followers_count: u64,
}

impl TwitterFew {
    pub(super) fn digest(&self) -> u64 {
        self.statuses.iter().fold(0, |acc, s| {
            let acc = mix(mix_str(mix(acc, s.id), &s.text), s.retweet_count);
            mix(mix_str(acc, &s.user.screen_name), s.user.followers_count)
        })
    }
}

// ---- citm_catalog.json ----

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct CitmFull {
    area_names: HashMap<String, String>,
    audience_sub_category_names: HashMap<String, String>,
    block_names: HashMap<String, String>,
    events: HashMap<String, Event>,
    performances: Vec<Performance>,
    seat_category_names: HashMap<String, String>,
    sub_topic_names: HashMap<String, String>,
    subject_names: HashMap<String, String>,
    topic_names: HashMap<String, String>,
    topic_sub_topics: HashMap<String, Vec<u64>>,
    venue_names: HashMap<String, String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Event {
    description: Option<String>,
    id: u64,
    logo: Option<String>,
    name: String,
    sub_topic_ids: Vec<u64>,
    subject_code: Option<String>,
    subtitle: Option<String>,
    topic_ids: Vec<u64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Performance {
    event_id: u64,
    id: u64,
    logo: Option<String>,
    name: Option<String>,
    prices: Vec<Price>,
    seat_categories: Vec<SeatCategory>,
    seat_map_image: Option<String>,
    start: u64,
    venue_code: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Price {
    amount: u64,
    audience_sub_category_id: u64,
    seat_category_id: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SeatCategory {
    areas: Vec<Area>,
    seat_category_id: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Area {
    area_id: u64,
    block_ids: Vec<u64>,
}

impl CitmFull {
    pub(super) fn digest(&self) -> u64 {
        // Map iteration order differs between maps: fold order-independently (sum).
        let names = [
            &self.area_names,
            &self.audience_sub_category_names,
            &self.block_names,
            &self.seat_category_names,
            &self.sub_topic_names,
            &self.subject_names,
            &self.topic_names,
            &self.venue_names,
        ];
        let mut acc = names
            .iter()
            .flat_map(|m| m.iter())
            .fold(0u64, |acc, (k, v)| {
                acc.wrapping_add(mix_str(mix_str(0, k), v))
            });
        acc = self.events.values().fold(acc, |acc, e| {
            acc.wrapping_add(mix(
                mix_str(e.id, &e.name),
                e.sub_topic_ids.len() as u64 + u64::from(e.logo.is_some()),
            ))
        });
        acc = self
            .topic_sub_topics
            .values()
            .fold(acc, |acc, v| acc.wrapping_add(v.iter().sum::<u64>()));
        self.performances.iter().fold(acc, |acc, p| {
            let prices = p
                .prices
                .iter()
                .map(|x| x.amount ^ x.seat_category_id)
                .sum::<u64>();
            let areas = p
                .seat_categories
                .iter()
                .flat_map(|s| &s.areas)
                .map(|a| a.area_id + a.block_ids.len() as u64)
                .sum::<u64>();
            mix(mix(mix(acc, p.id ^ p.event_id), p.start), prices ^ areas)
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CitmFew {
    performances: Vec<PerformanceFew>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PerformanceFew {
    id: u64,
    event_id: u64,
    start: u64,
}

impl CitmFew {
    pub(super) fn digest(&self) -> u64 {
        self.performances
            .iter()
            .fold(0, |acc, p| mix(mix(mix(acc, p.id), p.event_id), p.start))
    }
}

// ---- canada.json ----

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CanadaFull {
    #[serde(rename = "type")]
    kind: String,
    features: Vec<Feature>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Feature {
    #[serde(rename = "type")]
    kind: String,
    properties: HashMap<String, String>,
    geometry: Geometry,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    coordinates: Vec<Vec<(f64, f64)>>,
}

impl CanadaFull {
    /// Coordinates are rounded to 1e-7 degrees first: serde_json's default float parsing is
    /// not correctly rounded (off by one ulp on about 11% of this file's numbers; simd-json,
    /// sonic-rs and `str::parse` agree with each other), and the check is about doing the same
    /// work, not about those last bits (`json/examples/cmp_floats.rs` counts them).
    pub(super) fn digest(&self) -> u64 {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "coordinates are within ±180"
        )]
        let round = |x: f64| (x * 1e7).round() as i64 as u64;
        self.features.iter().fold(mix_str(0, &self.kind), |acc, f| {
            f.geometry
                .coordinates
                .iter()
                .flatten()
                .fold(mix_str(acc, &f.kind), |acc, &(x, y)| {
                    mix(acc, round(x) ^ round(y).rotate_left(32))
                })
        })
    }
}

#[derive(Deserialize)]
pub(super) struct CanadaFew {
    features: Vec<FeatureFew>,
}

#[derive(Deserialize)]
struct FeatureFew {
    properties: HashMap<String, String>,
}

impl CanadaFew {
    pub(super) fn digest(&self) -> u64 {
        self.features
            .iter()
            .flat_map(|f| &f.properties)
            .fold(0, |acc, (k, v)| mix_str(mix_str(acc, k), v))
    }
}
