// @taskcast/server — public entry point. Content arrives with its issue.
export const PACKAGE_NAME = '@taskcast/server'
