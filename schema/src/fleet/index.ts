/** Fleet rules: validation across the directors of a cluster and the clusters of a site. */
export * from './codes.ts';
export * from './check.ts';
export { checkInstanceRules, fieldPath } from './instance-rules.ts';
export { checkReferenceRules } from './reference-rules.ts';
export { checkSiteRules, instanceVipLocations, type FleetSite } from './site-rules.ts';
