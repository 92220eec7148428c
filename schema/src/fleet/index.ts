/** Fleet rules: validation across the directors of a cluster and the clusters of a site. */
export * from './codes.ts';
export * from './check.ts';
export { checkInstanceRules, fieldPath } from './instance-rules.ts';
export { checkReferenceRules } from './reference-rules.ts';
export { buildSiteIndex, checkSiteRules, instanceVipLocations, type FleetSite, type SiteIndex } from './site-rules.ts';
