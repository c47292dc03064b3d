module.exports = { preset: '@nuanyang/jest-preset' };
