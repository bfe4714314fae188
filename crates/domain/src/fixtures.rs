//! Realistic field records from a fixed seed (the record described in `docs/benchmarks.md`,
//! "Workloads and targets"): Zhenjiang grid ids, coordinates near 32.20 N 119.45 E, about 200
//! characters of Chinese free text, masked names and valid phones. Deterministic: the same seed
//! gives the same records on every machine, so benchmarks and the load generator always see the
//! same data. Pure: a splitmix64 generator, no IO.

use crate::enums::*;
use crate::ids::{GridId, RecordId};
use crate::input::RecordDraft;
use crate::record::*;
use crate::time::Timestamp;

/// A small, fast, seedable generator (splitmix64). Not for anything secret.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const PLACES: &[&str] = &[
    "正东路菜场",
    "梦溪园巷12号",
    "中山东路88号",
    "京口区第三小学",
    "健康路社区活动中心",
    "解放路沿街商铺",
    "东门坡老旧小区",
    "学府路物业办公室",
    "北固山下停车场",
    "丁卯桥农贸市场",
];
const SENTENCES: &[&str] = &[
    "走访中发现楼道内堆放大量纸箱和电动车，堵塞消防通道，已当场劝导住户清理。",
    "独居老人身体状况良好，家中燃气灶软管老化，已联系社区安排更换。",
    "两户居民因楼上漏水问题多次发生争执，情绪较为激动，需要进一步调解。",
    "沿街商铺油烟扰民，周边居民反映强烈，已告知业主整改期限。",
    "物业公司与业主委员会就停车费标准存在分歧，双方同意由社区组织协商。",
    "外卖电动车在小区内充电存在火灾隐患，已张贴安全提示并登记车主信息。",
    "律师志愿者现场解答了关于赡养义务和遗产继承的法律问题，群众反响良好。",
    "建筑工地夜间施工噪音扰民，已联系城管部门核实施工许可情况。",
    "租户拖欠房租三个月，房东要求收回房屋，双方对押金退还金额有争议。",
    "老旧小区外墙瓷砖脱落，存在高空坠物风险，已拉设警戒线并上报街道。",
    "村民因宅基地边界问题产生矛盾，网格员会同司法所工作人员现场勘察。",
    "劳务人员反映工资被拖欠，涉及人数十二人，已引导其向劳动监察部门反映。",
];
const HAZARDS: &[&str] = &[
    "消防通道堵塞",
    "电动车违规充电",
    "燃气软管老化",
    "外墙脱落",
    "井盖缺失",
    "违章搭建",
];
const TOPICS: &[&str] = &[
    "《民法典》婚姻家庭编解读",
    "防范电信网络诈骗",
    "劳动合同与工资支付",
    "物业纠纷中的权利与义务",
    "未成年人保护法宣传",
    "交通事故责任认定与赔偿",
];

/// The grid ids of a synthetic city: `county-township-NN`.
pub fn grid_id(n: u32) -> GridId {
    const TOWNSHIPS: &[&str] = &[
        "jingkou-zhengdonglu",
        "jingkou-jianshelu",
        "runzhou-heping",
        "runzhou-jinshan",
        "dantu-gaozi",
    ];
    let t = TOWNSHIPS[(n as usize / 100) % TOWNSHIPS.len()];
    let block = n as usize / (100 * TOWNSHIPS.len());
    let id = if block == 0 {
        format!("{t}-{:02}", n % 100)
    } else {
        format!("{t}{block}-{:02}", n % 100)
    };
    GridId::parse(&id).expect("built from lowercase letters, digits and dashes")
}

fn text(rng: &mut Rng, min_chars: usize) -> String {
    let mut s = String::new();
    while s.chars().count() < min_chars {
        let sentence = *rng.pick::<&str>(SENTENCES);
        s.push_str(sentence);
    }
    s
}

fn phone(rng: &mut Rng) -> String {
    format!("1{}{:09}", 3 + rng.below(7), rng.below(1_000_000_000))
}

fn masked_name(rng: &mut Rng) -> String {
    format!("{}**", rng.pick(SURNAMES))
}

/// A realistic draft of a random kind in `grid`, happening at `at`.
pub fn draft(rng: &mut Rng, grid: GridId, at: Timestamp) -> RecordDraft {
    let location = Some(Location {
        lat: 32.20 + (rng.unit() - 0.5) * 0.05,
        lon: 119.45 + (rng.unit() - 0.5) * 0.05,
        accuracy_m: Some((5 + rng.below(40)) as f64),
    });
    let body = match rng.below(3) {
        0 => RecordBody::PatrolVisit(PatrolVisit {
            visited_at: at,
            location,
            address: Some(rng.pick(PLACES).to_string()),
            subject_kind: *rng.pick(SubjectKind::ALL),
            subject_name: Some(masked_name(rng)),
            findings: text(rng, 200),
            hazards: vec![rng.pick(HAZARDS).to_string()],
            follow_up_needed: false,
            follow_up_due_at: None,
            volunteers: vec![],
            dispute_ids: vec![],
        }),
        1 => RecordBody::LegalEducation(LegalEducation {
            held_at: at,
            topic: rng.pick(TOPICS).to_string(),
            format: *rng.pick(EducationFormat::ALL),
            location,
            address: Some(rng.pick(PLACES).to_string()),
            audience_count: 10 + rng.below(90) as u32,
            speakers: vec![LegalVolunteer {
                name: masked_name(rng),
                legal_role: *rng.pick(LegalRole::ALL),
            }],
            materials: vec![],
            notes: text(rng, 200),
        }),
        _ => RecordBody::Dispute(Dispute {
            reported_at: at,
            source: *rng.pick(DisputeSource::ALL),
            dispute_category: *rng.pick(DisputeCategory::ALL),
            location,
            address: Some(rng.pick(PLACES).to_string()),
            parties: vec![Party {
                name: Some(masked_name(rng)),
                role: PartyRole::Applicant,
                phone: Some(phone(rng)),
                id_number: None,
            }],
            summary: text(rng, 200),
            risk_level: *rng.pick(RiskLevel::ALL),
            status: DisputeStatus::Reported,
            initial_status: DisputeStatus::Reported,
            workflow: vec![],
        }),
    };
    RecordDraft {
        grid_id: grid,
        body,
    }
}

/// A whole record made from [`draft`], with an id derived from the generator (UUIDv7 layout).
pub fn record(rng: &mut Rng, grid: GridId, at: Timestamp, created_by: &str) -> Record {
    let d = draft(rng, grid, at);
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    random[8..].copy_from_slice(&rng.next_u64().to_le_bytes()[..2]);
    let id = RecordId::from_uuid(
        uuid::Builder::from_unix_timestamp_millis(at.millis().unsigned_abs(), &random).into_uuid(),
    );
    d.into_record(id, created_by, at)
}

/// A text edit that a second person might make: appends a sentence.
pub fn edit_text(rng: &mut Rng, s: &str) -> String {
    format!("{s}{}", rng.pick(SENTENCES))
}
