import { cancelUpload } from '../src/domain/use-cases/cancel-upload.ts';
import { JSON_HEADERS } from '../src/http/error-response.ts';
import { SessionParams } from '../src/http/schemas.ts';
import { deps } from './commons/dependencies.ts';
import { httpRoute } from './commons/http-route.ts';

export const handler = httpRoute(
  'cancel',
  { params: SessionParams },
  async ({ userId, params }) => {
    await cancelUpload(deps, { userId, sessionId: params.id });
    return {
      statusCode: 200,
      headers: { ...JSON_HEADERS },
      body: JSON.stringify({ success: true, message: 'Upload cancelled successfully' }),
    };
  },
);
