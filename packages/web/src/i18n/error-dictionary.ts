/**
 * The server's error catalogue (packages/server/src/shared/errors.ts) in the app's words: one key
 * `err_<CODE>` per code, English and Kiswahili. The app shows these, never the server's English
 * `message`; a code it does not know shows `err_unknown`. A unit test (tests/i18n/error-codes.test.ts)
 * fails when a catalogue code has no key here.
 */
export const errorsEn = {
  err_unknown: 'Something went wrong. Try again, or ask the operator if it keeps happening.',
  err_BAD_REQUEST: 'The request is not valid.',
  err_UNAUTHENTICATED: 'Sign in first.',
  err_INVALID_CREDENTIALS: 'Wrong email or password.',
  err_WEAK_PASSWORD: 'Choose a less common password.',
  err_FORBIDDEN: 'You may not do that.',
  err_REGISTRATION_CLOSED: 'You cannot create an account here yet. Ask the operator to create one for you.',
  err_INVALID_CODE:
    'That code is not right or has expired. Check the message, or register again for a new code.',
  err_ACCOUNT_DISABLED: 'This account is disabled. Ask the operator to enable it again.',
  err_CURRENT_PASSWORD_WRONG: 'Your current password is not right.',
  err_CANNOT_DISABLE_SELF: 'You cannot disable your own account.',
  err_NOT_FOUND: 'Not found.',
  err_METER_NOT_FOUND: 'Meter not found.',
  err_USER_NOT_FOUND: 'User not found.',
  err_METER_EXISTS: 'A meter with that number is already registered.',
  err_EMAIL_TAKEN: 'That email is already registered.',
  err_PAYMENT_DUPLICATE: 'That payment was already recorded.',
  err_IDEMPOTENCY_CONFLICT: 'That request key was already used for a different request.',
  err_PAYMENT_NOT_FOUND: 'Payment not found.',
  err_PAYMENT_IN_PROGRESS: 'That request is still being processed; try again shortly.',
  err_PAYMENT_REJECTED: 'M-Pesa refused the payment request.',
  err_PAYMENT_AMOUNT_TOO_LARGE: 'That amount is above the most one payment may be.',
  err_PAYMENT_PROMPT_PENDING:
    'A payment prompt is already waiting on this phone; answer or cancel it first, or try again in a minute.',
  err_PAYMENT_PROVIDER_ERROR:
    'M-Pesa could not take the payment request right now; please try again shortly.',
  err_TRANSACTION_NOT_FOUND: 'Transaction not found.',
  err_ORPHAN_NOT_FOUND: 'Orphan callback not found.',
  err_ORPHAN_ALREADY_RESOLVED: 'That orphan callback was already resolved.',
  err_ORPHAN_NOT_CREDITABLE:
    'That callback reports no completed payment (no receipt or amount); it can only be dismissed.',
  err_TOPUP_NOT_FOUND: 'Top-up request not found.',
  err_TOPUP_ALREADY_PROCESSED: 'That top-up request was already processed.',
  err_EMERGENCY_NOT_AVAILABLE:
    'Emergency credit is available once, at zero balance, while no advance is owed.',
  err_TRANSACTION_NOT_MOVABLE: 'That transaction cannot be moved (already moved, or not a payment).',
  err_TARIFF_NOT_FOUND: 'Tariff version not found.',
  err_TARIFF_INVALID: 'That tariff cannot be used as written.',
  err_TARIFF_RETROACTIVE: 'A tariff version takes effect now or later, never in the past.',
  err_TARIFF_SAME_TIME: 'Another tariff version takes effect at that same time.',
  err_TARIFF_NOT_CANCELLABLE:
    'Only a version that has not taken effect (and is not about to) can be cancelled.',
  err_REGISTER_HOLD_NOT_FOUND: 'Held register jump not found.',
  err_REGISTER_HOLD_RESOLVED: 'That held register jump was already decided.',
  err_REGISTER_HOLD_ACTION_UNFIT: 'That decision does not fit what the meter reports now.',
  err_PUSH_ENDPOINT_NOT_ALLOWED: 'That push endpoint is not on a push service this server sends to.',
  err_PUSH_SUBSCRIPTION_NOT_FOUND: 'No such push subscription for this account.',
  err_PUSH_UNAVAILABLE: 'Push notifications are not set up on this server.',
  err_PAYLOAD_TOO_LARGE: 'The request is too large.',
  err_RATE_LIMITED: 'Too many requests; try again shortly.',
  err_LOGIN_BACKOFF: 'Too many wrong passwords for this account; try again shortly.',
  err_UNAVAILABLE: 'A service the server needs is unavailable; try again shortly.',
  err_INTERNAL: 'Something went wrong on our side.',
  err_CANNOT_CHANGE_OWN_ROLE: 'You cannot change your own role; ask another admin.',
  err_LAST_ADMIN: 'This is the last enabled admin; make another admin first.',
  err_PASSWORD_CHANGE_REQUIRED: 'Your password was reset by an operator: choose a new one before you go on.',
  err_EMERGENCY_REASON_REQUIRED: 'An operator granting an emergency advance must give a reason.',
  err_CLAIM_REJECTED:
    'No meter you can add matches that account number and claim code. Check both on the label, or ask the operator for a new code.',
  err_CLAIM_LIMITED: 'Too many wrong claim codes; try again later.',
} as const;

export const errorsSw: Record<keyof typeof errorsEn, string> = {
  err_unknown: 'Kuna hitilafu. Jaribu tena, au mwulize mhudumu ikiendelea kutokea.',
  err_BAD_REQUEST: 'Ombi hili si sahihi.',
  err_UNAUTHENTICATED: 'Ingia kwanza.',
  err_INVALID_CREDENTIALS: 'Barua pepe au nenosiri si sahihi.',
  err_WEAK_PASSWORD: 'Chagua nenosiri lisilo la kawaida.',
  err_FORBIDDEN: 'Huruhusiwi kufanya hivyo.',
  err_REGISTRATION_CLOSED: 'Bado huwezi kufungua akaunti hapa. Mwombe mhudumu akufungulie.',
  err_INVALID_CODE:
    'Msimbo huo si sahihi au muda wake umekwisha. Angalia ujumbe, au jisajili tena upate msimbo mpya.',
  err_ACCOUNT_DISABLED: 'Akaunti hii imezimwa. Mwombe mhudumu aiwashe tena.',
  err_CURRENT_PASSWORD_WRONG: 'Nenosiri lako la sasa si sahihi.',
  err_CANNOT_DISABLE_SELF: 'Huwezi kuzima akaunti yako mwenyewe.',
  err_NOT_FOUND: 'Haikupatikana.',
  err_METER_NOT_FOUND: 'Mita haikupatikana.',
  err_USER_NOT_FOUND: 'Mtumiaji hakupatikana.',
  err_METER_EXISTS: 'Mita yenye nambari hiyo imeshasajiliwa.',
  err_EMAIL_TAKEN: 'Barua pepe hiyo imeshasajiliwa.',
  err_PAYMENT_DUPLICATE: 'Malipo hayo yamesharekodiwa.',
  err_IDEMPOTENCY_CONFLICT: 'Ufunguo wa ombi hilo ulishatumika kwa ombi jingine.',
  err_PAYMENT_NOT_FOUND: 'Malipo hayakupatikana.',
  err_PAYMENT_IN_PROGRESS: 'Ombi hilo bado linashughulikiwa; jaribu tena baada ya muda mfupi.',
  err_PAYMENT_REJECTED: 'M-Pesa imekataa ombi la malipo.',
  err_PAYMENT_AMOUNT_TOO_LARGE: 'Kiasi hicho kinazidi kiwango cha juu cha malipo moja.',
  err_PAYMENT_PROMPT_PENDING:
    'Ombi la malipo tayari linasubiri kwenye simu hii; lijibu au ulikatae kwanza, au ujaribu tena baada ya dakika moja.',
  err_PAYMENT_PROVIDER_ERROR:
    'M-Pesa haiwezi kupokea ombi la malipo sasa hivi; tafadhali jaribu tena baadaye kidogo.',
  err_TRANSACTION_NOT_FOUND: 'Muamala haukupatikana.',
  err_ORPHAN_NOT_FOUND: 'Taarifa ya malipo isiyo na mwenyewe haikupatikana.',
  err_ORPHAN_ALREADY_RESOLVED: 'Taarifa hiyo ya malipo imeshashughulikiwa.',
  err_ORPHAN_NOT_CREDITABLE:
    'Taarifa hiyo haionyeshi malipo yaliyokamilika (hakuna risiti wala kiasi); inaweza kufutwa tu.',
  err_TOPUP_NOT_FOUND: 'Ombi la kuongeza salio halikupatikana.',
  err_TOPUP_ALREADY_PROCESSED: 'Ombi hilo la kuongeza salio limeshashughulikiwa.',
  err_EMERGENCY_NOT_AVAILABLE:
    'Mkopo wa dharura unapatikana mara moja tu, salio likiwa sifuri na hakuna mkopo unaodaiwa.',
  err_TRANSACTION_NOT_MOVABLE: 'Muamala huo hauwezi kuhamishwa (umeshahamishwa, au si malipo).',
  err_TARIFF_NOT_FOUND: 'Toleo la ushuru halikupatikana.',
  err_TARIFF_INVALID: 'Ushuru huo hauwezi kutumika kama ulivyoandikwa.',
  err_TARIFF_RETROACTIVE: 'Toleo la ushuru huanza sasa au baadaye, kamwe si wakati uliopita.',
  err_TARIFF_SAME_TIME: 'Toleo jingine la ushuru linaanza wakati huo huo.',
  err_TARIFF_NOT_CANCELLABLE:
    'Ni toleo ambalo bado halijaanza (wala halikaribii kuanza) tu linaloweza kughairiwa.',
  err_REGISTER_HOLD_NOT_FOUND: 'Ruko la rejista lililozuiliwa halikupatikana.',
  err_REGISTER_HOLD_RESOLVED: 'Ruko hilo la rejista limeshaamuliwa.',
  err_REGISTER_HOLD_ACTION_UNFIT: 'Uamuzi huo haulingani na kile mita inachoripoti sasa.',
  err_PUSH_ENDPOINT_NOT_ALLOWED:
    'Anwani hiyo ya arifa haiko kwenye huduma ya arifa ambayo seva hii inatumia.',
  err_PUSH_SUBSCRIPTION_NOT_FOUND: 'Usajili huo wa arifa haupo kwa akaunti hii.',
  err_PUSH_UNAVAILABLE: 'Arifa hazijawekwa kwenye seva hii.',
  err_PAYLOAD_TOO_LARGE: 'Ombi ni kubwa mno.',
  err_RATE_LIMITED: 'Maombi mengi mno; jaribu tena baada ya muda mfupi.',
  err_LOGIN_BACKOFF: 'Manenosiri mengi yasiyo sahihi kwa akaunti hii; jaribu tena baada ya muda mfupi.',
  err_UNAVAILABLE: 'Huduma inayohitajika na seva haipatikani; jaribu tena baada ya muda mfupi.',
  err_INTERNAL: 'Kuna hitilafu upande wetu.',
  err_CANNOT_CHANGE_OWN_ROLE: 'Huwezi kubadilisha jukumu lako mwenyewe; mwombe msimamizi mwingine.',
  err_LAST_ADMIN: 'Huyu ndiye msimamizi wa mwisho aliye hai; weka msimamizi mwingine kwanza.',
  err_PASSWORD_CHANGE_REQUIRED: 'Nenosiri lako liliwekwa upya na mhudumu: chagua jipya kabla ya kuendelea.',
  err_EMERGENCY_REASON_REQUIRED: 'Mhudumu anayetoa umeme wa dharura lazima aeleze sababu.',
  err_CLAIM_REJECTED:
    'Hakuna mita unayoweza kuongeza yenye nambari hiyo ya akaunti na msimbo huo. Angalia vyote viwili kwenye lebo, au mwombe mhudumu msimbo mpya.',
  err_CLAIM_LIMITED: 'Misimbo mingi mno isiyo sahihi; jaribu tena baadaye.',
};
