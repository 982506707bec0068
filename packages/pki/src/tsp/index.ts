export {
  buildTimeStampRequest,
  randomTimeStampNonce,
  requestTimeStamp,
  TIMESTAMP_QUERY_CONTENT_TYPE,
  TIMESTAMP_REPLY_CONTENT_TYPE,
  type TimeStampRequest,
  type TimeStampRequestOptions,
  type RequestTimeStampOptions,
} from './request.ts';
export {
  parseTimeStampResponse,
  parseTstInfo,
  TimeStampStatus,
  type TimeStampResponse,
  type TstInfo,
} from './response.ts';
export {
  verifyTimeStampToken,
  verifyTimeStampResponse,
  type VerifyTimeStampTokenOptions,
  type VerifyTimeStampResponseOptions,
  type VerifiedTimeStamp,
} from './verify.ts';
export {
  respondTimeStamp,
  TimeStampFailure,
  TSA_EXTENDED_KEY_USAGE,
  type TimeStampAuthority,
  type TimeStampAnswer,
} from './respond.ts';
