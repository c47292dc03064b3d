// displayName lets `make test` leave this project to `make chart-test` (jest --ignoreProjects chart-test);
// testTimeout applies when this config runs alone (`make chart-test`); helm renders take a second or two.
module.exports = { preset: '@nuanyang/jest-preset', displayName: 'chart-test', testTimeout: 60_000 };
