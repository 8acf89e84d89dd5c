/**
 * What each metric means, in one place: the API returns these next to each value and the OpenAPI
 * document repeats them. The window is [from, to).
 */
export const definitions = {
  nps:
    "Net Promoter Score: % promoters (9–10) minus % detractors (0–6) among survey responses (0–10) received in the window; passives (7–8) count in the total only. Null without responses.",
  csat: "Customer satisfaction: % of CSAT answers (Delighted CSAT/5-star/smileys, Typeform csat questions, Freshdesk satisfaction surveys) received in the window in the top quarter of their scale (4–5 of 1–5); `responses` is the sample. Other support ticket ratings are not included. `ces` is the mean Customer Effort answer on 0–100 (higher = easier) with its own sample. Null without answers.",
  retention:
    "Customer retention rate: (E − N) / S × 100, where S = paying customers at the window's start, E = paying customers at its end, N = new customers in the window. A customer is paying from its first paid invoice until its last subscription ends.",
  logoChurn:
    "Logo churn rate: customers paying at the window's start whose subscriptions had all ended (canceled; endedAt, else canceledAt) by its end, ÷ customers paying at its start, × 100.",
  revenueChurn:
    "Gross revenue churn: MRR lost by customers paying at the window's start (to cancellation or downgrade) ÷ their MRR at the start, × 100. An ended subscription's MRR is its last paid invoice spread over the months that invoice covered.",
  netRevenueRetention:
    "Net revenue retention: MRR at the window's end of customers paying at its start ÷ their MRR at the start × 100 (expansion minus contraction and churn; new customers excluded).",
  customerLifetimeValue:
    "Customer lifetime value (minor units, per currency): ARPA × gross margin ÷ monthly logo churn rate, where ARPA = MRR ÷ paying customers at the window's end in that currency and the churn rate (all customers) is scaled to 30 days. `value` is set when every paying customer pays in one currency; `byCurrency` always. Null when nobody churned.",
  newCustomers: "New customers: customers whose first paid invoice (amount > 0) falls in the window.",
  loyaltyEnrollment:
    "Loyalty enrollment rate: customers paying at the window's end who had enrolled in the loyalty program by then ÷ customers paying at its end × 100. Null when the loyalty tables do not exist.",
  activeAccounts: "Active accounts: customers with at least one tracked product-usage event on a day in the window (usage days are kept for 120 days).",
  pointsEarned: "Loyalty points earned: sum of positive ledger entries in the window. Null when the loyalty tables do not exist.",
  pointsRedeemed: "Loyalty points redeemed: sum of negative ledger entries in the window, as a positive number. Null when the loyalty tables do not exist.",
  referralRate:
    "Referral rate: new customers in the window attributed to a referral (not refused) ÷ new customers × 100. Null when the loyalty tables do not exist or there are no new customers.",
  onboardingCompletion:
    "Onboarding completion rate: customers whose first paid invoice falls in the window and who reached both first value and core-feature adoption by its end ÷ those customers × 100.",
  timeToFirstValue:
    "Median time to first value (hours): from the first paid invoice to the first first-value usage event (0 if value came first), over customers whose first paid invoice falls in the window and who reached first value by its end.",
  healthDistribution: "Health distribution: customers and their current MRR (minor units, per currency: amounts in different currencies are never added) per current health band; not limited to the window.",
  stageFunnel:
    "Stage funnel: customers per current loyalty stage, and for each stage after awareness the share of customers who reached the previous stage and went on to reach it (stage transitions up to the window's end plus the current stage).",
  topTicketTopics:
    "Top ticket topics per period: phrases of one to three words from the subjects and tags of the kept support tickets opened in the period, across desks. Stop words are never a topic nor start one, and only a verb particle (\"log in\") may end one; links, addresses and ticket numbers are left out, and so is a tag or a single word on more than half of 8 or more tickets (a channel tag, the product's name). Topics are chosen one at a time: the phrase that explains the most tickets not yet explained, a phrase of two or more content words counting double (ties: the phrase that opens its subject). Each ticket counts under one topic, a topic needs two tickets, topics are listed most tickets first, and each lists up to three example tickets, newest first, distinct subjects before repeats.",
  referralFunnel:
    "Referral funnel: referrals attributed in the window, how many qualified (the referred customer paid and passed the checks), and how many earned the referrer a paid reward. Null when the loyalty tables do not exist.",
  portfolioScore: "Portfolio score per day: the mean of every scored customer's latest health score at the end of that day (UTC).",
} as const;

export type MetricName = keyof typeof definitions;
