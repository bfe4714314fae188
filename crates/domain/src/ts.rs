//! TypeScript names for the domain's string-shaped newtypes (feature `ts`): an id or a time
//! crosses to the UI as a JSON string, so the bindings call it `string`.

macro_rules! ts_string {
    ($($ty:ty),+) => {$(
        impl ts_rs::TS for $ty {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;
            fn name(_: &ts_rs::Config) -> String {
                "string".to_owned()
            }
            fn inline(cfg: &ts_rs::Config) -> String {
                <Self as ts_rs::TS>::name(cfg)
            }
        }
    )+};
}

ts_string!(crate::Timestamp, crate::RecordId, crate::GridId);
