import { slackDate } from './dates.ts';
import type { Messages } from './index.ts';

// Vietnamese groups thousands with "." ("1.024 MB") and says units in words ("3 phút"): Intl does both for vi-VN.
const num = (n: number) => new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 0 }).format(n);
const min = (n: number) =>
  new Intl.NumberFormat('vi-VN', { style: 'unit', unit: 'minute', unitDisplay: 'long' }).format(n);
/** Số phút âm thanh đã dùng, lấy một chữ số thập phân: "12,5 phút". */
const used = (n: number) =>
  new Intl.NumberFormat('vi-VN', {
    style: 'unit',
    unit: 'minute',
    unitDisplay: 'long',
    maximumFractionDigits: 1,
  }).format(n);

/**
 * The Vietnamese catalogue. Terms, kept the same everywhere: voice memo "tin nhắn thoại", recording "bản ghi âm",
 * transcript "bản chép lời", transcribe "chép lời", thread "chuỗi tin nhắn", scope "quyền", shortcut "phím tắt
 * *Transcribe*" (Slack shows the shortcut under its English name). The app is named "ứng dụng" rather than
 * speaking as "tôi"/"mình"; the reader is "bạn". Slack's own menu items ("Copy link", "More actions") are quoted
 * as Slack shows them.
 */
export const vi: Messages = {
  locale: 'vi-VN',

  queued: ({ file }) => `:hourglass_flowing_sand: *${file}* đang chờ đến lượt chép lời.`,
  sending: ({ file, provider }) => `:hourglass_flowing_sand: Đang gửi *${file}* tới ${provider} để chép lời…`,
  waiting: ({ file, provider }) =>
    `:hourglass_flowing_sand: Đã gửi *${file}* tới ${provider}; bản chép lời sẽ hiện ở đây.`,
  timedOut: ({ file, provider, waited }) =>
    `:warning: Sau ${waited}, ${provider} vẫn chưa gửi bản chép lời của *${file}*. Nếu ${provider} gửi muộn, bản chép lời sẽ hiện ở đây; ` +
    'bạn cũng có thể dùng phím tắt *Transcribe* trên tin nhắn thoại để thử lại.',
  failed: ({ file, reason }) => `:warning: Không thể chép lời *${file}*: ${reason}`,
  transcriptHeader: ({ file, duration }) => `:memo: Bản chép lời của *${file}*${duration ? ` · ${duration}` : ''}`,
  transcriptContinued: ({ file, part, parts }) => `:memo: *${file}* (tiếp theo, phần ${part}/${parts})`,
  partOf: ({ part, parts }) => `phần ${part}/${parts}`,
  transcriptReceiving: 'Nội dung có thể còn tiếp khi được nhận dạng thêm…',
  transcriptComplete: ':white_check_mark: Hoàn tất.',
  exportPrompt: 'Tải xuống bản chép lời:',
  // Each reason follows "Không thể chép lời *tệp*: ", hence the lower-case start.
  failure: (f) => {
    switch (f.code) {
      case 'too_large':
        return `${f.sizeMb === undefined ? 'tệp lớn hơn' : `tệp có dung lượng ${num(f.sizeMb)} MB, vượt quá`} giới hạn ${num(f.limitMb)} MB. Hãy chia sẻ một bản ghi âm ngắn hơn, hoặc nhờ quản trị viên tăng MAX_AUDIO_MB.`;
      case 'too_long':
        return `bản ghi âm dài ${min(f.minutes)}, vượt quá giới hạn ${min(f.limitMinutes)}. Hãy chia sẻ một bản ghi âm ngắn hơn, hoặc nhờ quản trị viên tăng MAX_AUDIO_MINUTES.`;
      case 'sign_in_page':
        return 'Slack gửi về trang đăng nhập thay vì tệp. Nhiều khả năng ứng dụng thiếu quyền `files:read`, hoặc chưa được cài đặt lại sau khi thêm quyền này: hãy nhờ quản trị viên không gian làm việc cài đặt lại ứng dụng.';
      case 'no_download_link':
        return 'Slack không cung cấp liên kết tải xuống cho tệp này.';
      case 'download_failed':
        return f.status === 404
          ? 'không tải được tệp từ Slack. Có thể tệp đã bị xóa.'
          : f.status === 403
            ? 'không tải được tệp từ Slack. Có thể ứng dụng không có quyền truy cập tệp này.'
            : 'không tải được tệp từ Slack. Hãy thử lại sau giây lát bằng phím tắt *Transcribe*.';
      case 'converter_unavailable':
        return 'bộ chuyển đổi âm thanh của ứng dụng (ffmpeg) không chạy được trên máy chủ này. Hãy báo cho quản trị viên Slack của bạn: `npm run doctor` sẽ cho biết cần sửa gì.';
      case 'off_slack':
        return 'liên kết của tệp không dẫn tới Slack, nên ứng dụng không tải tệp xuống.';
      case 'not_convertible':
        return `tệp không phải định dạng âm thanh mà ${f.provider} nhận được, và cũng không chuyển đổi được.`;
      case 'provider_refused':
        return `${f.provider} đã từ chối tệp âm thanh (\`${f.error}\`).`;
      case 'provider_unreachable':
        return `không kết nối được tới ${f.provider} sau ${num(f.attempts)} lần thử (\`${f.error}\`). Hãy thử lại sau bằng phím tắt *Transcribe*.`;
      case 'restarted':
        return `ứng dụng đã khởi động lại trước khi tệp được gửi tới ${f.provider}. Hãy dùng phím tắt *Transcribe* trên tin nhắn để thử lại.`;
      case 'budget_used_up':
        return 'hạn mức chép lời hằng tháng đã dùng hết; quản trị viên có thể tăng hạn mức trong thẻ Home của ứng dụng.';
      case 'internal':
        return 'đã xảy ra lỗi ở phía ứng dụng. Hãy thử lại bằng phím tắt *Transcribe*; nếu vẫn không được, hãy báo cho quản trị viên Slack của bạn.';
    }
  },
  sharedWhileStopping: ({ file }) =>
    `:warning: Ứng dụng đang khởi động lại khi *${file}* được chia sẻ. Hãy dùng phím tắt *Transcribe* trên tin nhắn để chép lời tệp này.`,
  cannotLookAtFile: ({ error }) =>
    `:warning: Ứng dụng không xem được một tệp được chia sẻ ở đây (Slack trả lời \`${error}\`). Nếu đó là tin nhắn thoại, hãy dùng phím tắt *Transcribe* trên tin nhắn để thử lại.`,

  usageIntro: '*/transcribe* chuyển tin nhắn thoại thành văn bản, ngay trong chuỗi tin nhắn của nó:',
  usageFooter: 'Bạn cũng có thể dùng phím tắt *Transcribe* trong menu "More actions" của bất kỳ tin nhắn nào.',
  help: {
    newest: '• `/transcribe`: chép lời tin nhắn thoại mới nhất trong kênh này',
    link: '• `/transcribe <message link>`: chép lời tin nhắn đó (lấy liên kết bằng "Copy link" trên tin nhắn)',
    switch: '• `/transcribe off` / `/transcribe on`: tắt / bật chép lời tự động trong kênh này',
    status: '• `/transcribe status`: chép lời tự động có đang bật ở đây không, và những gì đang được chép lời',
    language:
      '• `/transcribe language vi` / `en` / `auto`: ngôn ngữ ứng dụng dùng để trả lời bạn (auto: theo ngôn ngữ Slack của bạn)',
    help: '• `/transcribe help`: hiện hướng dẫn này',
  },
  languageChosen:
    'Từ giờ ứng dụng sẽ trả lời bạn bằng tiếng Việt. Dùng `/transcribe language auto` để theo lại ngôn ngữ Slack của bạn.',
  languageAuto:
    'Từ giờ ứng dụng sẽ trả lời bạn theo ngôn ngữ Slack của bạn (tiếng Việt hoặc tiếng Anh; nếu không thì theo ngôn ngữ của ứng dụng).',
  autoOff:
    'Đã *tắt* chép lời tự động trong kênh này. Khi cần, hãy dùng `/transcribe` hoặc phím tắt *Transcribe* để chép lời một tin nhắn thoại.',
  autoOn:
    'Đã *bật* chép lời tự động trong kênh này: mọi tin nhắn thoại được chia sẻ ở đây sẽ có bản chép lời trong chuỗi tin nhắn của nó.',
  statusAutoOn: 'Chép lời tự động đang *bật* trong kênh này: kênh đã dùng `/transcribe on`.',
  statusAutoOff: 'Chép lời tự động đang *tắt* trong kênh này (`/transcribe on` để bật lại).',
  statusInProgress: 'Các lượt chép lời ở đây:',
  statusNothing: 'Hiện không có gì đang được chép lời ở đây.',
  statusLine: ({ file, state, since }) => `• ${file}: ${state} (${since})`,
  // Each reads after "tên-tệp: " in a status line.
  stateName: (state, provider) =>
    ({
      queued: 'đang chờ đến lượt',
      sending: `đang gửi tới ${provider}`,
      waiting: `đang chờ ${provider} phản hồi`,
      receiving: 'đang nhận bản chép lời',
      complete: 'đã hoàn tất',
      failed: 'không thành công',
      timed_out: `${provider} không phản hồi`,
    })[state],
  started: ({ that }) => `Đang chép lời ${that}: bản chép lời sẽ hiện trong chuỗi tin nhắn của nó.`,
  requeued: ({ that }) =>
    `Việc chép lời ${that} đã dừng giữa chừng; ứng dụng đang chép lời lại. Hãy xem chuỗi tin nhắn của nó.`,
  inProgress: ({ that }) => `Đang chép lời ${that} rồi. Hãy xem chuỗi tin nhắn của nó.`,
  alreadyDone: ({ that }) => `Đã chép lời ${that} rồi. Hãy xem chuỗi tin nhắn của nó.`,
  noAudio: ({ that }) => `Không có âm thanh nào để chép lời trong ${that}.`,
  thatMessage: ({ link }) => (link ? `<${link}|tin nhắn đó>` : 'tin nhắn đó'),
  appStopping: 'Ứng dụng đang khởi động lại. Vui lòng thử lại sau một phút.',
  unreadable: ({ that }) =>
    `Slack không cho phép ứng dụng xem các tệp trong ${that}, nên ứng dụng không thể chép lời chúng.`,
  notFoundOrNotAllowed:
    'Không tìm thấy tin nhắn đó, hoặc tin nhắn nằm trong một kênh mà bạn không phải là thành viên. Hãy kiểm tra lại liên kết, hoặc nhờ một thành viên của kênh đó.',
  botNotInChannel: ({ channel }) =>
    `Ứng dụng chưa là thành viên của <#${channel}>. Hãy mời ứng dụng vào kênh bằng \`/invite @Transcriber\`, rồi thử lại.`,
  cannotReadChannel: ({ error }) =>
    `Slack không cho phép ứng dụng đọc kênh này (\`${error}\`). Vui lòng thử lại sau giây lát.`,
  nothingRecent: ({ depth }) =>
    `Không tìm thấy tin nhắn thoại nào chưa có bản chép lời trong ${num(depth)} tin nhắn gần nhất ở đây. Để chép lời một tin nhắn cũ hơn, hãy dùng \`/transcribe <message link>\` hoặc phím tắt *Transcribe* trên tin nhắn đó.`,
  readingSoon: ({ seconds }) =>
    `Slack chỉ cho phép ứng dụng đọc tin nhắn của kênh này một số lần nhất định. Ứng dụng sẽ tìm sau khoảng ${num(seconds)} giây và trả lời tại đây.`,
  soFar: 'Bạn có thể tải xuống phần đã nhận được đến giờ:',
  exportMissingScope: ({ scope }) =>
    `Không thể tải tệp lên: ứng dụng thiếu quyền \`${scope}\`. Hãy nhờ quản trị viên không gian làm việc thêm quyền này (hoặc cập nhật ứng dụng từ manifest.yml) rồi cài đặt lại ứng dụng.`,
  exportFailed: ({ error }) => `Slack không nhận tệp (\`${error}\`). Vui lòng thử lại sau giây lát.`,
  exportNothing: 'Chưa có bản chép lời nào để tải xuống.',
  statusAutoByDefault:
    'Chép lời tự động đang *bật* trong kênh này, như ở mọi kênh chưa tự chọn (`/transcribe off` để tắt ở đây).',
  statusOptIn:
    'Chép lời tự động đang *tắt* trong kênh này: không gian làm việc này chỉ tự động chép lời ở những kênh đã dùng `/transcribe on`. Bạn vẫn có thể chép lời bất kỳ tin nhắn thoại nào bằng `/transcribe` hoặc phím tắt *Transcribe*.',

  homeHeader: 'OMICall Transcriber',
  homeIntro:
    'Tin nhắn thoại được chuyển thành văn bản ngay trong chuỗi tin nhắn của nó, bằng công nghệ nhận dạng giọng nói của OMICall.',
  homeRecentHeader: 'Tin nhắn thoại gần đây của bạn',
  homeNoMemos:
    'Chưa có. Hãy chia sẻ một tin nhắn thoại trong kênh có ứng dụng, tin nhắn đó sẽ hiện ở đây cùng tình trạng chép lời.',
  homeMemo: ({ file, channel, when, state, link }) =>
    `*${file}* trong <#${channel}> · ${when}\n${state}${link ? ` · <${link}|Mở chuỗi tin nhắn>` : ''}`,
  homeHowHeader: 'Cách sử dụng',
  homeHow: [
    '• *Tự động*: chia sẻ tin nhắn thoại, tệp âm thanh hoặc video trong kênh có ứng dụng (`/invite @Transcriber`), hoặc gửi cho ứng dụng qua tin nhắn riêng; bản chép lời sẽ hiện trong chuỗi tin nhắn của nó.',
    '• `/transcribe`: chép lời tin nhắn thoại mới nhất chưa có bản chép lời trong kênh; `/transcribe <message link>`: chép lời tin nhắn đó; `/transcribe on` / `off`: bật / tắt chép lời tự động trong kênh; `/transcribe status`: quy tắc đang áp dụng ở đó.',
    '• Phím tắt *Transcribe* trong menu "More actions" của tin nhắn: chép lời âm thanh của tin nhắn đó, kể cả tin nhắn thoại cũ và tin nhắn trong chuỗi.',
  ].join('\n'),
  homeHelp:
    '*Trợ giúp*: `/transcribe help` liệt kê các lệnh. Khi có sự cố, chuỗi tin nhắn của tin nhắn thoại sẽ cho biết lý do; với những việc khác, hãy hỏi quản trị viên không gian làm việc.',
  homeAdminHeader: 'Cài đặt',
  homeAdminIntro: 'Chỉ quản trị viên không gian làm việc mới thấy phần này và thay đổi được các cài đặt này.',
  settingLabel: {
    auto: 'Chép lời tự động',
    lang: 'Ngôn ngữ trong chuỗi tin nhắn',
    retention: 'Thời gian lưu bản chép lời',
    budget: 'Hạn mức hằng tháng',
  },
  settingAuto: (on) =>
    on
      ? 'Bật ở mọi kênh chưa tự chọn bằng `/transcribe on` hoặc `off`'
      : 'Tắt: chỉ ở những kênh đã dùng `/transcribe on` (tự đăng ký), và những tin nhắn thoại được yêu cầu',
  settingAutoChoice: (on) => (on ? 'Bật, ở mọi kênh chưa tự chọn' : 'Tắt: chỉ những kênh đã dùng /transcribe on'),
  langName: { en: 'English', vi: 'Tiếng Việt' },
  settingRetention: (days) => `${num(days)} ngày, sau đó bị xóa`,
  settingBudget: (minutes) =>
    minutes === undefined ? 'Không có: không giới hạn' : `${min(minutes)} âm thanh mỗi tháng dương lịch (UTC)`,
  settingChange: 'Thay đổi',
  homeUsageHeader: ({ month }) => `Mức sử dụng tháng này (${month}, UTC)`,
  homeUsage: ({ minutes, memos, budget }) =>
    `${used(minutes)} âm thanh, ${num(memos)} tin nhắn thoại` +
    (budget === undefined ? '' : ` · ${num((minutes / budget) * 100)} % hạn mức ${min(budget)}`),
  homeNoUsage: 'Tháng này chưa có gì được gửi tới OMICall.',
  homeBusiest: 'Các kênh dùng nhiều nhất:',
  homeChannelUsage: ({ channel, minutes, memos }) => `• <#${channel}>: ${used(minutes)}, ${num(memos)} tin nhắn thoại`,
  homeKeyHeader: 'Khóa OMICall',
  homeKey: (k) => {
    switch (k.kind) {
      case 'environment':
        return 'Do người vận hành ứng dụng thiết lập (`OMICALL_API_KEY`).';
      case 'own':
        return `Khóa riêng của không gian làm việc này, kết thúc bằng \`${k.last4}\`, thiết lập ${slackDate('vi-VN', k.setAt)}.`;
      case 'default':
        return 'Khóa mặc định của ứng dụng. Quản trị viên có thể thiết lập khóa riêng cho không gian làm việc này.';
      case 'none':
        return ':warning: Chưa có: không có gì được chép lời cho đến khi quản trị viên thiết lập khóa.';
    }
  },
  homeKeyButton: ({ hasOwn }) => (hasOwn ? 'Đổi khóa' : 'Thiết lập khóa'),
  settingsTitle: 'Cài đặt chép lời',
  settingsSave: 'Lưu',
  settingsCancel: 'Hủy',
  settingHint: {
    auto: 'Áp dụng cho những kênh chưa từng dùng `/transcribe on` hoặc `off`. Tắt: chỉ những kênh đã dùng `/transcribe on` mới được chép lời tự động; vẫn có thể yêu cầu chép lời bất kỳ tin nhắn thoại nào.',
    lang: 'Ngôn ngữ của các phản hồi trong chuỗi tin nhắn của tin nhắn thoại, mà mọi người trong kênh đều đọc.',
    retention:
      'Số ngày lưu dữ liệu của một bản chép lời (từ 1 đến 365), tính từ lúc có tin nhắn thoại. Thời gian ngắn hơn được áp dụng ngay cho dữ liệu đã lưu; các phản hồi trong Slack vẫn còn, theo chính sách lưu giữ Slack của không gian làm việc.',
    budget:
      'Số phút âm thanh gửi tới OMICall mỗi tháng dương lịch (UTC). Để trống hoặc 0: không có hạn mức. Quản trị viên được báo qua tin nhắn riêng khi dùng đến 80 %; khi đủ 100 %, tin nhắn thoại mới sẽ không được gửi đi.',
  },
  settingsAdminsOnly: 'Chỉ quản trị viên không gian làm việc mới thay đổi được cài đặt của ứng dụng.',
  settingProblem: ({ problem, setting, min: low, max }) =>
    problem === 'not_a_choice'
      ? 'Hãy chọn một trong các lựa chọn.'
      : setting === 'budget'
        ? `Hãy nhập một số phút nguyên từ 0 đến ${num(max)}, hoặc để trống.`
        : `Hãy nhập một số ngày nguyên từ ${num(low)} đến ${num(max)}.`,
  budgetWarning: ({ used: usedMinutes, budget, month }) =>
    `:warning: Không gian làm việc này đã dùng 80 % hạn mức chép lời hằng tháng: ${used(usedMinutes)} trên ${min(budget)} âm thanh trong ${month} (UTC). ` +
    'Khi hạn mức dùng hết, tin nhắn thoại mới sẽ không được chép lời cho đến tháng sau; quản trị viên có thể tăng hạn mức trong thẻ Home của ứng dụng.',
  noKeyInThread: ({ file, provider }) =>
    `*${file}* chưa được chép lời: không gian làm việc này chưa có khóa ${provider}. Quản trị viên không gian làm việc có thể thêm khóa trong tab Home của ứng dụng.`,
  noKeyForAdmins: ({ provider }) =>
    `Các tin nhắn thoại chia sẻ trong không gian làm việc của bạn chưa được chép lời: ứng dụng chưa có khóa API ${provider} cho không gian làm việc này. ` +
    `Để thêm khóa, hãy mở ứng dụng (bấm vào tên ứng dụng trong Slack), vào tab *Home* và bấm nút đặt khóa ${provider}. ` +
    `Khóa nằm trong trang quản trị web của ${provider} (cài đặt tài khoản, quản lý API). Cho đến lúc đó, không có gì được gửi tới ${provider}.`,
  noKeyAsked: ({ provider }) =>
    `Không gian làm việc này chưa có khóa ${provider}, nên chưa thể chép lời. Quản trị viên không gian làm việc có thể thêm khóa trong tab Home của ứng dụng.`,

  keyModal: {
    title: 'Khóa OMICall',
    save: 'Lưu',
    cancel: 'Hủy',
    close: 'Đóng',
    current: (k) => {
      switch (k.kind) {
        case 'own':
          return `Tin nhắn thoại của không gian làm việc này được gửi bằng khóa ${k.provider} riêng, kết thúc bằng \`…${k.last4}\`, đặt lúc <!date^${Math.floor(k.setAt / 1000)}^{date_short_pretty} {time}|ngày ${new Date(k.setAt).toISOString().slice(0, 10)}>. Khóa mới sẽ thay thế khóa này.`;
        case 'default':
          return `Không gian làm việc này chưa có khóa ${k.provider} riêng: tin nhắn thoại được gửi bằng khóa của đơn vị vận hành ứng dụng.`;
        case 'none':
          return `Không gian làm việc này chưa có khóa ${k.provider}: chưa có gì được chép lời cho đến khi khóa được đặt.`;
        case 'environment':
          return `Khóa ${k.provider} của ứng dụng này do đơn vị vận hành đặt (OMICALL_API_KEY).`;
      }
    },
    label: ({ provider }) => `Khóa API ${provider}`,
    placeholder: 'Dán khóa API vào đây',
    hint: ({ provider }) =>
      `Lấy trong trang quản trị web của ${provider}: cài đặt tài khoản, quản lý API. Khóa được kiểm tra với ${provider} trước khi lưu, được lưu ở dạng mã hóa và không bao giờ hiện lại (chỉ hiện bốn ký tự cuối).`,
    sharedWebhook: ({ provider }) =>
      `:warning: Khi lưu khóa, kết quả AI của khóa này sẽ được gửi về ứng dụng này. ${provider} chỉ gửi kết quả của một khóa tới một địa chỉ, dùng chung với sản phẩm Voice Insights: nếu công ty bạn đang nhận kết quả Voice Insights ở nơi khác bằng khóa này, các kết quả đó sẽ được gửi về đây (và bị bỏ qua) cho đến khi có người trỏ khóa về lại nơi cũ.`,
    refusal: (r) => {
      switch (r.why) {
        case 'empty':
          return 'Hãy dán khóa vào đây.';
        case 'too-long':
          return 'Chuỗi này quá dài để là một khóa API.';
        case 'characters':
          return 'Khóa API không có khoảng trắng hay dấu xuống dòng: hãy sao chép lại.';
        case 'default-key':
          return `Đây là khóa ${r.provider} mặc định của ứng dụng: hãy dán khóa của công ty bạn.`;
        case 'taken':
          return `Khóa này đang phục vụ một không gian làm việc Slack khác, và ${r.provider} chỉ gửi kết quả của một khóa tới một nơi. Hãy tạo một khóa API khác trong trang quản trị của ${r.provider} cho không gian làm việc này.`;
        case 'refused':
          return `${r.provider} đã từ chối khóa này (${r.error}). Hãy sao chép lại khóa từ trang quản trị của ${r.provider}.`;
        case 'unreachable':
          return `${r.provider} không phản hồi kịp (${r.error}), nên khóa chưa được lưu. Hãy thử lại sau giây lát.`;
        case 'not-admin':
          return 'Chỉ quản trị viên hoặc chủ sở hữu không gian làm việc, hoặc người đã cài đặt ứng dụng, mới đặt được khóa.';
        case 'not-confirmed':
          return 'Slack chưa kịp xác nhận bạn là quản trị viên của không gian làm việc này, nên khóa chưa được lưu. Hãy thử lại sau giây lát.';
        case 'environment':
          return 'Khóa của ứng dụng này do đơn vị vận hành đặt (OMICALL_API_KEY), không đặt ở đây.';
      }
    },
    savedTitle: 'Đã lưu khóa',
    saved: ({ last4, provider }) =>
      `Đã lưu khóa ${provider} kết thúc bằng \`…${last4}\`. Các tin nhắn thoại tiếp theo của không gian làm việc này sẽ được gửi bằng khóa này.`,
    notAdmin: ({ provider }) =>
      `Chỉ quản trị viên hoặc chủ sở hữu không gian làm việc, hoặc người đã cài đặt ứng dụng, mới đặt được khóa ${provider}. Hãy nhờ một người trong số họ.`,
  },

  installPages: {
    installTitle: 'Thêm OMICall Transcriber vào Slack',
    installIntro:
      'Tin nhắn thoại và tệp âm thanh chia sẻ trong các kênh của bạn sẽ có bản chép lời trong chuỗi tin nhắn của chúng, do dịch vụ chuyển giọng nói thành văn bản của OMICall thực hiện.',
    addToSlack: 'Thêm vào Slack',
    installNote:
      'Bạn sẽ chọn không gian làm việc và chấp thuận các quyền của ứng dụng trên trang của Slack. Sau đó, quản trị viên thêm khóa OMICall của công ty bạn trong tab Home của ứng dụng.',
    installedTitle: 'Ứng dụng đã được cài đặt',
    installedIn: ({ team }) =>
      team ? `OMICall Transcriber đã có trong ${team}.` : 'OMICall Transcriber đã được cài đặt.',
    nextTitle: 'Việc cần làm tiếp theo',
    nextSteps: [
      'Mời bot vào các kênh có tin nhắn thoại cần chép lời: /invite @Transcriber',
      'Quản trị viên không gian làm việc mở ứng dụng trong Slack, vào tab Home và đặt khóa API OMICall của công ty bạn (lấy trong trang quản trị web của OMICall, mục quản lý API). Cho đến lúc đó, chưa có gì được chép lời.',
      'Chia sẻ một tin nhắn thoại trong một trong các kênh đó: bản chép lời sẽ hiện trong chuỗi tin nhắn của nó.',
    ],
    orgNote:
      'Đây là bản cài đặt cho toàn bộ tổ chức Enterprise Grid của bạn: quản trị viên tổ chức vẫn cần thêm ứng dụng vào từng không gian làm việc sẽ dùng nó.',
    openSlack: 'Mở ứng dụng trong Slack',
    failedTitle: 'Ứng dụng chưa được cài đặt',
    failure: (reason) =>
      ({
        denied: 'Việc cài đặt đã bị hủy trên trang của Slack. Chưa có gì được cài đặt.',
        forged:
          'Liên kết cài đặt này không được mở từ trình duyệt này, hoặc không phải của ứng dụng này. Chưa có gì được cài đặt: hãy bắt đầu lại từ trang cài đặt.',
        expired: 'Liên kết cài đặt này đã quá cũ. Chưa có gì được cài đặt: hãy bắt đầu lại từ trang cài đặt.',
        reused: 'Liên kết cài đặt này đã được dùng rồi. Chưa có gì được cài đặt: hãy bắt đầu lại từ trang cài đặt.',
        'token-rotation':
          'Ứng dụng Slack này đang bật xoay vòng token (token rotation), điều mà ứng dụng này không hỗ trợ (token sẽ hết hạn sau mỗi 12 giờ). Chưa có gì được cài đặt. Đơn vị vận hành ứng dụng cần tắt xoay vòng token trong trang “OAuth & Permissions” của ứng dụng Slack (nếu token đã từng được xoay vòng thì không tắt được nữa: khi đó hãy tạo lại ứng dụng Slack từ manifest.yml).',
        'no-bot':
          'Slack không cấp bot token: ứng dụng Slack không có quyền bot nào. Chưa có gì được cài đặt. Đơn vị vận hành ứng dụng cần tạo ứng dụng từ manifest.yml.',
        failed: 'Slack chưa hoàn tất việc cài đặt. Chưa có gì được cài đặt: vui lòng thử lại sau giây lát.',
      })[reason],
    tryAgain: 'Bắt đầu lại',
  },
};
