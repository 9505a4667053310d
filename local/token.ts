import { issueToken } from './auth.ts';

const userId = process.argv[2] ?? 'local-user';
console.log(await issueToken(userId));
