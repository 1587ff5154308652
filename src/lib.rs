//! referral-intake: Medi-Cal ECM/CS/CHW referral email in, screened and answered referrals out.

pub mod extract;
pub mod message;
pub mod model;
pub mod normalize;
