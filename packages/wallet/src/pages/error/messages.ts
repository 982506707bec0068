import { defineMessages } from '../../i18n/index.ts';

export const messages = defineMessages(
  'error',
  {
    notFoundTitle: 'ページが見つかりません',
    notFoundBody: 'お探しのページは、移動したか、なくなった可能性があります。アドレスを確かめてください。',
    expiredTitle: '時間切れになりました',
    expiredBody:
      '手続きの途中で時間がたちすぎたため、最初からやり直す必要があります。利用していたサービスに戻り、もう一度お試しください。',
    unknownServiceTitle: 'このサービスは登録されていません',
    unknownServiceBody:
      '連携先のサービスが、民間IDに登録されていないか、登録が取り消されています。サービスの運営者にお問い合わせください。あなたの情報は送られていません。',
    badRequestTitle: 'サービスからの依頼を受け付けられません',
    badRequestBody:
      '連携先のサービスから届いた依頼に問題があり、続けられません。サービスに戻ってやり直すか、サービスの運営者にお問い合わせください。あなたの情報は送られていません。',
    serverTitle: 'サーバーで問題が起きました',
    serverBody: 'しばらくしてから、もう一度お試しください。続く場合は、時間をおいてからやり直してください。',
    toHome: 'ホームに戻る',
    toHelp: 'ヘルプを見る',
    back: '前のページに戻る',
  },
  {
    notFoundTitle: 'Page not found',
    notFoundBody:
      'The page you are looking for may have moved or no longer exists. Please check the address.',
    expiredTitle: 'This has timed out',
    expiredBody:
      'Too much time passed during the process, so it has to start again. Go back to the service you were using and try again.',
    unknownServiceTitle: 'This service is not registered',
    unknownServiceBody:
      'The service that sent you here is not registered with Private ID, or its registration was withdrawn. Please contact the service. None of your information was sent.',
    badRequestTitle: 'The request from the service cannot be accepted',
    badRequestBody:
      'The service that sent you here made a request that cannot be completed. Go back to the service and try again, or contact it. None of your information was sent.',
    serverTitle: 'Something went wrong on the server',
    serverBody: 'Please try again in a little while.',
    toHome: 'Back to home',
    toHelp: 'See help',
    back: 'Go back',
  },
  {
    notFoundTitle: 'ページが みつかりません',
    notFoundBody: 'さがして いる ページは ありません。アドレスを たしかめて ください。',
    expiredTitle: 'じかんぎれ です',
    expiredBody:
      'じかんが たちすぎました。つかって いた サービスに もどって、はじめから やりなおして ください。',
    unknownServiceTitle: 'この サービスは つかえません',
    unknownServiceBody:
      'この サービスは、民間IDに とうろく されて いません。サービスの ひとに きいて ください。あなたの じょうほうは おくって いません。',
    badRequestTitle: 'サービスからの おねがいを うけつけられません',
    badRequestBody:
      'サービスから きた おねがいに もんだいが あります。サービスに もどって、もういちど ためして ください。あなたの じょうほうは おくって いません。',
    serverTitle: 'サーバーで もんだいが おきました',
    serverBody: 'すこし まってから、もういちど ためして ください。',
    toHome: 'ホームに もどる',
    toHelp: 'ヘルプを みる',
    back: 'まえの ページに もどる',
  },
);
