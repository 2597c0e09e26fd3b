<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_TW">
  <context>
    <name>EdgeUploader</name>
    <message>
      <source>Amount</source>
      <translation>金額</translation>
    </message>
    <message>
      <source>Tips</source>
      <translation>小費</translation>
    </message>
    <message>
      <source>Refund amount</source>
      <translation>退款金額</translation>
    </message>
    <message>
      <source>1 hour</source>
      <translation>1 小時</translation>
    </message>
    <message>
      <source>base_url</source>
      <translation>付款地址</translation>
    </message>
    <message>
      <source>login_url</source>
      <translation>登入地址</translation>
    </message>
    <message>
      <source>{n} hours</source>
      <translation>{n} 小時</translation>
    </message>
    <message>
      <source>Unknown currency '{code}'; use a three-letter ISO 4217 code such as HKD.</source>
      <translation>不明的貨幣「{code}」；請用三個字母的 ISO 4217 代碼，例如 HKD。</translation>
    </message>
    <message>
      <source>{label} is required.</source>
      <translation>必須填寫{label}。</translation>
    </message>
    <message>
      <source>{label} must be a number such as 12.50.</source>
      <translation>{label}必須是數字，例如 12.50。</translation>
    </message>
    <message>
      <source>{label} must not have a sign; type it as 12.50.</source>
      <translation>{label}不可有正負號；請輸入如 12.50。</translation>
    </message>
    <message>
      <source>{label} must be written without thousands separators, for example 1200.50.</source>
      <translation>{label}不可有千位分隔符號，例如 1200.50。</translation>
    </message>
    <message>
      <source>{label} must be a plain number such as 12.50, without exponent notation.</source>
      <translation>{label}必須是一般數字，例如 12.50，不可用科學記號。</translation>
    </message>
    <message>
      <source>{label} is too large; use at most {digits} digits before the decimal point.</source>
      <translation>{label}太大；小數點前最多 {digits} 位數。</translation>
    </message>
    <message>
      <source>{label} must be greater than zero.</source>
      <translation>{label}必須大於零。</translation>
    </message>
    <message>
      <source>{currency} amounts have no decimal places.</source>
      <translation>{currency} 金額沒有小數位。</translation>
    </message>
    <message>
      <source>{currency} amounts have at most 1 decimal place.</source>
      <translation>{currency} 金額最多 1 位小數。</translation>
    </message>
    <message>
      <source>{currency} amounts have at most {digits} decimal places.</source>
      <translation>{currency} 金額最多 {digits} 位小數。</translation>
    </message>
    <message>
      <source>Amount must be a finite number.</source>
      <translation>金額必須是有限的數字。</translation>
    </message>
    <message>
      <source>Amount is too large to write out.</source>
      <translation>金額太大，無法寫出。</translation>
    </message>
    <message>
      <source>Card number is required.</source>
      <translation>必須填寫卡號。</translation>
    </message>
    <message>
      <source>Card number must be 12 to 19 digits.</source>
      <translation>卡號必須是 12 至 19 位數字。</translation>
    </message>
    <message>
      <source>Card number is not valid (check digit mismatch); check it was typed correctly.</source>
      <translation>卡號無效（檢查碼不符）；請確認輸入是否正確。</translation>
    </message>
    <message>
      <source>Card number does not match the card reader data.</source>
      <translation>卡號與讀卡機資料不符。</translation>
    </message>
    <message>
      <source>Expiry is required.</source>
      <translation>必須填寫有效期限。</translation>
    </message>
    <message>
      <source>Expiry must be four digits YYMM, for example 2712.</source>
      <translation>有效期限必須是四位數字 YYMM（年月），例如 2712。</translation>
    </message>
    <message>
      <source>Expiry month must be 01 to 12; write the expiry as YYMM, for example 2712.</source>
      <translation>有效期限的月份必須是 01 至 12；請寫成 YYMM（年月），例如 2712。</translation>
    </message>
    <message>
      <source>Card expired in {month}/{year}.</source>
      <translation>此卡已於 {month}/{year} 到期。</translation>
    </message>
    <message>
      <source>Expiry does not match the card reader data.</source>
      <translation>有效期限與讀卡機資料不符。</translation>
    </message>
    <message>
      <source>CVV is required.</source>
      <translation>必須填寫安全碼（CVV）。</translation>
    </message>
    <message>
      <source>CVV must be 3 or 4 digits.</source>
      <translation>安全碼（CVV）必須是 3 或 4 位數字。</translation>
    </message>
    <message>
      <source>Card reader data (track 2) is empty; read the card again.</source>
      <translation>讀卡機資料（磁軌 2）是空的；請重新讀卡。</translation>
    </message>
    <message>
      <source>Card reader data is not a valid track 2 (card number, '=', YYMM, service code); read the card again.</source>
      <translation>讀卡機資料不是有效的磁軌 2（卡號、「=」、YYMM、服務碼）；請重新讀卡。</translation>
    </message>
    <message>
      <source>The card number in the card reader data is not valid; read the card again.</source>
      <translation>讀卡機資料中的卡號無效；請重新讀卡。</translation>
    </message>
    <message>
      <source>The expiry in the card reader data is not a valid YYMM; read the card again.</source>
      <translation>讀卡機資料中的有效期限不是有效的 YYMM；請重新讀卡。</translation>
    </message>
    <message>
      <source>Card reader data (track 2) is required for {mode}; read the card.</source>
      <translation>{mode}需要讀卡機資料（磁軌 2）；請讀卡。</translation>
    </message>
    <message>
      <source>Reader mode must be one of manual, swipe, contact or contactless.</source>
      <translation>讀卡方式必須是手動輸入、刷卡、插卡或感應其中之一。</translation>
    </message>
    <message>
      <source>Card sequence number must be 1 to 3 digits, as the card reader gives it.</source>
      <translation>卡片序號必須是讀卡機提供的 1 至 3 位數字。</translation>
    </message>
    <message>
      <source>Card sequence number is required for {mode}; read the card.</source>
      <translation>{mode}需要卡片序號；請讀卡。</translation>
    </message>
    <message>
      <source>Chip data is too long; it can be at most {n} hex characters.</source>
      <translation>晶片資料太長；最多 {n} 個十六進位字元。</translation>
    </message>
    <message>
      <source>Chip data must be hexadecimal digits in pairs, as the card reader gives it.</source>
      <translation>晶片資料必須是讀卡機提供的成對十六進位數字。</translation>
    </message>
    <message>
      <source>Chip data (ICC) is required for {mode}; read the card.</source>
      <translation>{mode}需要晶片資料（ICC）；請讀卡。</translation>
    </message>
    <message>
      <source>Cardholder name can be at most {n} characters.</source>
      <translation>持卡人姓名最多 {n} 個字元。</translation>
    </message>
    <message>
      <source>Cardholder name contains characters that cannot be printed.</source>
      <translation>持卡人姓名含有無法列印的字元。</translation>
    </message>
    <message>
      <source>manual</source>
      <translation>手動輸入</translation>
    </message>
    <message>
      <source>swipe</source>
      <translation>刷卡</translation>
    </message>
    <message>
      <source>contact</source>
      <translation>插卡</translation>
    </message>
    <message>
      <source>contactless</source>
      <translation>感應</translation>
    </message>
    <message>
      <source>Authorization code must be 1 to 12 letters or digits.</source>
      <translation>授權碼必須是 1 至 12 個字母或數字。</translation>
    </message>
    <message>
      <source>UUID must be 32 hex digits in the form 123e4567-e89b-12d3-a456-426614174000.</source>
      <translation>UUID 必須是 32 個十六進位數字，格式如 123e4567-e89b-12d3-a456-426614174000。</translation>
    </message>
    <message>
      <source>This sale was declined or cancelled, so there is nothing to void.</source>
      <translation>此筆銷售已被拒絕或取消，沒有可作廢的款項。</translation>
    </message>
    <message>
      <source>This sale is already voided.</source>
      <translation>此筆銷售已作廢。</translation>
    </message>
    <message>
      <source>This sale already has a refund, so it cannot be voided; refund the rest instead.</source>
      <translation>此筆銷售已有退款，因此無法作廢；請改為退還剩餘金額。</translation>
    </message>
    <message>
      <source>This sale was declined or cancelled, so there is nothing to refund.</source>
      <translation>此筆銷售已被拒絕或取消，沒有可退款的款項。</translation>
    </message>
    <message>
      <source>This sale is voided, so there is nothing to refund.</source>
      <translation>此筆銷售已作廢，沒有可退款的款項。</translation>
    </message>
    <message>
      <source>Refund amount must be greater than zero.</source>
      <translation>退款金額必須大於零。</translation>
    </message>
    <message>
      <source>This sale is already fully refunded.</source>
      <translation>此筆銷售已全額退款。</translation>
    </message>
    <message>
      <source>Refund exceeds what is left to refund on this sale ({left}).</source>
      <translation>退款超過此筆銷售剩餘可退的金額（{left}）。</translation>
    </message>
    <message>
      <source>Only held or failed transactions can be retried.</source>
      <translation>只有暫停或失敗的交易可以重試。</translation>
    </message>
    <message>
      <source>This sale's card data was erased after its final answer; take a new sale instead.</source>
      <translation>此筆銷售的卡片資料已在最終結果後清除；請改為新增一筆銷售。</translation>
    </message>
    <message>
      <source>Only transactions held for a manager can be given up.</source>
      <translation>只有暫停待經理處理的交易可以放棄。</translation>
    </message>
    <message>
      <source>This card is on the store's block list; ask for another card.</source>
      <translation>此卡在本店的封鎖名單上；請客人改用另一張卡。</translation>
    </message>
    <message>
      <source>This card is not on the store's allowed list; ask for another card.</source>
      <translation>此卡不在本店的允許名單上；請客人改用另一張卡。</translation>
    </message>
    <message>
      <source>Give at least one card number.</source>
      <translation>請至少輸入一個卡號。</translation>
    </message>
    <message>
      <source>Argument {index}: {problem}</source>
      <translation>第 {index} 個卡號：{problem}</translation>
    </message>
    <message>
      <source>The oldest unsent record is older than {hours}; sync before taking new offline payments.</source>
      <translation>最舊的未傳送紀錄已超過 {hours}；請先同步再接受新的離線付款。</translation>
    </message>
    <message>
      <source>Offline sales in {currency} are limited to {cap} each (amount plus tips); take a smaller payment or wait until the gateway is reachable.</source>
      <translation>{currency} 離線銷售每筆上限為 {cap}（金額加小費）；請收取較小金額，或等到可連上閘道。</translation>
    </message>
    <message>
      <source>This PC already holds {stored} of unsent payments and the offline limit is {total}; sync before taking this payment.</source>
      <translation>本電腦已有 {stored} 未傳送的付款，離線上限為 {total}；請先同步再接受這筆付款。</translation>
    </message>
    <message>
      <source>The oldest unsent record is older than {warn}; sync soon, new offline payments are refused after {refuse}.</source>
      <translation>最舊的未傳送紀錄已超過 {warn}；請盡快同步，超過 {refuse} 後將拒絕新的離線付款。</translation>
    </message>
    <message>
      <source>Offline sales in {currency} are not allowed on this PC: it has no offline limit for {currency}. A manager can allow them by adding an offline limit for {currency} in Settings.</source>
      <translation>本電腦不接受 {currency} 的離線銷售：沒有設定 {currency} 的離線上限。經理可在「設定」中為 {currency} 加入離線上限後允許。</translation>
    </message>
    <message>
      <source>Unsent {currency} payments now add up to {sum} of the {total} offline limit; sync soon.</source>
      <translation>未傳送的 {currency} 付款已累計 {sum}（離線上限 {total}）；請盡快同步。</translation>
    </message>
    <message>
      <source>Store id must be 1 to 32 letters, digits, '-' or '_', as given by the gateway.</source>
      <translation>門市 ID 必須是 1 到 32 個英文字母、數字、'-' 或 '_'，以閘道提供的為準。</translation>
    </message>
    <message>
      <source>Username is required.</source>
      <translation>必須輸入使用者名稱。</translation>
    </message>
    <message>
      <source>Shop-close time must be HH:MM, for example 22:30.</source>
      <translation>打烊時間必須是 HH:MM，例如 22:30。</translation>
    </message>
    <message>
      <source>Batch size must be between 1 and 1000.</source>
      <translation>每次請求筆數必須介於 1 至 1000。</translation>
    </message>
    <message>
      <source>Concurrency must be between 1 and 8.</source>
      <translation>同時請求數必須介於 1 至 8。</translation>
    </message>
    <message>
      <source>Request timeout must be between 1 and 300 seconds.</source>
      <translation>請求逾時必須介於 1 至 300 秒。</translation>
    </message>
    <message>
      <source>The delay before sending must be between 0 and 3600 seconds (0: only on Sync).</source>
      <translation>送出前的延遲必須介於 0 至 3600 秒（0：只在同步時送出）。</translation>
    </message>
    <message>
      <source>The {name} address is required.</source>
      <translation>必須填寫{name}。</translation>
    </message>
    <message>
      <source>The {name} address must not contain spaces.</source>
      <translation>{name}不可包含空格。</translation>
    </message>
    <message>
      <source>The {name} address must start with https://, for example https://payment.example.com.</source>
      <translation>{name}必須以 https:// 開頭，例如 https://payment.example.com。</translation>
    </message>
    <message>
      <source>The {name} address must not contain a user name or password.</source>
      <translation>{name}不可包含使用者名稱或密碼。</translation>
    </message>
    <message>
      <source>The {name} address must name a host after {scheme}://.</source>
      <translation>{name}必須在 {scheme}:// 之後寫出主機名稱。</translation>
    </message>
    <message>
      <source>The {name} address has a port that is not a number.</source>
      <translation>{name}的連接埠不是數字。</translation>
    </message>
    <message>
      <source>The {name} address must not contain '?' or '#'.</source>
      <translation>{name}不可包含「?」或「#」。</translation>
    </message>
    <message>
      <source>Plain http is only allowed for this computer (127.0.0.1 or localhost); use https for {host}.</source>
      <translation>只有本機（127.0.0.1 或 localhost）可用一般 http；{host} 請用 https。</translation>
    </message>
    <message>
      <source>The passphrase is wrong.</source>
      <translation>密語錯誤。</translation>
    </message>
    <message>
      <source>The passphrase must be at least {n} characters long.</source>
      <translation>密語至少要 {n} 個字元。</translation>
    </message>
    <message>
      <source>No OS keyring is available on this computer; use --key-store file.</source>
      <translation>這台電腦沒有系統金鑰圈；請改用密語保護的檔案。</translation>
    </message>
    <message>
      <source>The database key is not in this computer's keyring; log in as the user who installed Edge Uploader, or set EDGE_APP_DB_KEY.</source>
      <translation>資料庫金鑰不在這台電腦的金鑰圈中；請以安裝 Edge Uploader 的使用者登入，或設定 EDGE_APP_DB_KEY。</translation>
    </message>
    <message>
      <source>The database key is wrong for this installation.</source>
      <translation>資料庫金鑰與此安裝不符。</translation>
    </message>
    <message>
      <source>The database key comes from EDGE_APP_DB_KEY; whoever can read this process's environment can read the queue.</source>
      <translation>資料庫金鑰來自 EDGE_APP_DB_KEY；能讀取此程序環境變數的人都能讀取佇列。</translation>
    </message>
    <message>
      <source>No OS keyring is available; the database key is in a passphrase-protected file, so the passphrase is needed every time the app starts.</source>
      <translation>沒有系統金鑰圈；資料庫金鑰存放在受密語保護的檔案中，每次啟動程式都需要輸入密語。</translation>
    </message>
    <message>
      <source>Open Edge Uploader</source>
      <translation>開啟 Edge Uploader</translation>
    </message>
    <message>
      <source>The queue's key is protected by a passphrase. Type it to open the queue.</source>
      <translation>佇列的金鑰受密語保護。請輸入密語以開啟佇列。</translation>
    </message>
    <message>
      <source>Passphrase</source>
      <translation>密語</translation>
    </message>
    <message>
      <source>Type the passphrase.</source>
      <translation>請輸入密語。</translation>
    </message>
    <message>
      <source>Opening the queue. The first start of a new version updates it, which can take a minute for a store with a long history.</source>
      <translation>正在開啟佇列。新版本第一次啟動時會更新佇列，歷史紀錄較多的商店可能需要約一分鐘。</translation>
    </message>
    <message>
      <source>Added: sent at the next sync</source>
      <translation>已加入：下次同步時送出</translation>
    </message>
    <message>
      <source>Removed: sent at the next sync</source>
      <translation>已移除：下次同步時送出</translation>
    </message>
    <message>
      <source>Block list: cards on this list are refused at the till.</source>
      <translation>封鎖名單：名單上的卡在收銀台會被拒絕。</translation>
    </message>
    <message>
      <source>Allow list: only cards on this list are accepted at the till.</source>
      <translation>允許名單：收銀台只接受名單上的卡。</translation>
    </message>
    <message>
      <source>Card</source>
      <translation>卡片</translation>
    </message>
    <message>
      <source>On the gateway</source>
      <translation>已在閘道</translation>
    </message>
    <message>
      <source>Change waiting</source>
      <translation>待送出的變更</translation>
    </message>
    <message>
      <source>Problem</source>
      <translation>問題</translation>
    </message>
    <message>
      <source>Card block list</source>
      <translation>卡片封鎖名單</translation>
    </message>
    <message>
      <source>Remove the selected cards</source>
      <translation>移除所選的卡片</translation>
    </message>
    <message>
      <source>Add or remove cards</source>
      <translation>加入或移除卡片</translation>
    </message>
    <message>
      <source>Add to list</source>
      <translation>加入名單</translation>
    </message>
    <message>
      <source>Remove from list</source>
      <translation>從名單移除</translation>
    </message>
    <message>
      <source>Import CSV…</source>
      <translation>匯入 CSV…</translation>
    </message>
    <message>
      <source>The file lists cards to remove</source>
      <translation>檔案列出的是要移除的卡</translation>
    </message>
    <message>
      <source>Export report (masked)…</source>
      <translation>匯出報表（遮罩卡號）…</translation>
    </message>
    <message>
      <source>add {n} card(s) to the list</source>
      <translation>將 {n} 張卡加入名單</translation>
    </message>
    <message>
      <source>remove {n} card(s) from the list</source>
      <translation>從名單移除 {n} 張卡</translation>
    </message>
    <message>
      <source>import cards to remove from a file</source>
      <translation>從檔案匯入要移除的卡</translation>
    </message>
    <message>
      <source>import cards from a file</source>
      <translation>從檔案匯入卡片</translation>
    </message>
    <message>
      <source>Import card numbers</source>
      <translation>匯入卡號</translation>
    </message>
    <message>
      <source>CSV or text files (*.csv *.txt)</source>
      <translation>CSV 或文字檔 (*.csv *.txt)</translation>
    </message>
    <message>
      <source>Export the card list</source>
      <translation>匯出卡片名單</translation>
    </message>
    <message>
      <source>CSV files (*.csv)</source>
      <translation>CSV 檔 (*.csv)</translation>
    </message>
    <message>
      <source>Yes</source>
      <translation>是</translation>
    </message>
    <message>
      <source>No</source>
      <translation>否</translation>
    </message>
    <message>
      <source>Select rows and press Delete, or right-click them, to remove those cards.</source>
      <translation>選取資料列後按 Delete 鍵，或按右鍵，即可移除這些卡片。</translation>
    </message>
    <message>
      <source>Full card number(s), separated by commas</source>
      <translation>完整卡號，多張以逗號分隔</translation>
    </message>
    <message>
      <source>Search by first 6 or last 4 digits</source>
      <translation>以前 6 碼或後 4 碼搜尋</translation>
    </message>
    <message>
      <source>Search</source>
      <translation>搜尋</translation>
    </message>
    <message>
      <source>Type at least one card number.</source>
      <translation>請至少輸入一個卡號。</translation>
    </message>
    <message>
      <source>Not done: the manager PIN was not given.</source>
      <translation>未執行：沒有輸入經理 PIN。</translation>
    </message>
    <message>
      <source>{cards} card(s) on the list; {pending} change(s) waiting to be sent; {failed} refused</source>
      <translation>名單上有 {cards} 張卡；{pending} 項變更待送出；{failed} 項被拒</translation>
    </message>
    <message>
      <source>{n} card(s) changed; the gateway gets the change at the next sync.</source>
      <translation>已變更 {n} 張卡；下次同步時會送到閘道。</translation>
    </message>
    <message>
      <source>Importing {name}…</source>
      <translation>正在匯入 {name}…</translation>
    </message>
    <message>
      <source>…and {n} more.</source>
      <translation>…還有 {n} 項。</translation>
    </message>
    <message>
      <source>Wrote {n} masked card number(s) to {name}.</source>
      <translation>已將 {n} 個遮罩卡號寫入 {name}。</translation>
    </message>
    <message>
      <source>Production</source>
      <translation>正式環境</translation>
    </message>
    <message>
      <source>Develop</source>
      <translation>開發環境</translation>
    </message>
    <message>
      <source>Sandbox</source>
      <translation>沙盒</translation>
    </message>
    <message>
      <source>Custom gateway</source>
      <translation>自訂閘道</translation>
    </message>
    <message>
      <source>Edge Uploader</source>
      <translation>Edge Uploader</translation>
    </message>
    <message>
      <source>Cashiers take sales and sync. The manager PIN is asked to void, refund, retry, give up or mark as seen a transaction, to change the card list and to save the settings.</source>
      <translation>收銀員可收款及同步。作廢、退款、重試、放棄或標示交易為已查看、修改卡片名單及儲存設定時，需要經理 PIN。</translation>
    </message>
    <message>
      <source>Last night's report</source>
      <translation>昨晚的報表</translation>
    </message>
    <message>
      <source>Syncing…</source>
      <translation>同步中…</translation>
    </message>
    <message>
      <source>Show window</source>
      <translation>顯示視窗</translation>
    </message>
    <message>
      <source>Sync now</source>
      <translation>立即同步</translation>
    </message>
    <message>
      <source>Quit</source>
      <translation>結束</translation>
    </message>
    <message>
      <source>Needs a manager</source>
      <translation>需要經理處理</translation>
    </message>
    <message>
      <source>Edge Uploader: syncing</source>
      <translation>Edge Uploader：同步中</translation>
    </message>
    <message>
      <source>Records still wait</source>
      <translation>仍有紀錄等待送出</translation>
    </message>
    <message>
      <source>New sale</source>
      <translation>新增交易</translation>
    </message>
    <message>
      <source>Transactions</source>
      <translation>交易紀錄</translation>
    </message>
    <message>
      <source>Sync</source>
      <translation>同步</translation>
    </message>
    <message>
      <source>Report</source>
      <translation>報表</translation>
    </message>
    <message>
      <source>Settings</source>
      <translation>設定</translation>
    </message>
    <message>
      <source>Audit trail broken!</source>
      <translation>稽核記錄已損壞！</translation>
    </message>
    <message>
      <source>Edge Uploader: {waiting}; {last}</source>
      <translation>Edge Uploader：{waiting}；{last}</translation>
    </message>
    <message>
      <source>{waiting}. They are sent only while Edge Uploader runs.</source>
      <translation>{waiting}。只有在 Edge Uploader 執行時才會送出。</translation>
    </message>
    <message>
      <source>Quit anyway</source>
      <translation>仍要結束</translation>
    </message>
    <message>
      <source>{declined} declined, {held} held</source>
      <translation>{declined} 筆被拒、{held} 筆暫留</translation>
    </message>
    <message>
      <source>{n} difference(s)</source>
      <translation>{n} 筆差異</translation>
    </message>
    <message>
      <source>Cannot read the queue: {why}</source>
      <translation>無法讀取佇列：{why}</translation>
    </message>
    <message>
      <source>Syncing {done}/{total}</source>
      <translation>同步中 {done}/{total}</translation>
    </message>
    <message>
      <source>A sync is running; quitting stops it (nothing is lost).</source>
      <translation>同步正在執行；結束會停止同步（不會遺失任何資料）。</translation>
    </message>
    <message>
      <source>Keep sending from the tray</source>
      <translation>在系統匣繼續送出</translation>
    </message>
    <message>
      <source>Edge Uploader: syncing {done}/{total}</source>
      <translation>Edge Uploader：同步中 {done}/{total}</translation>
    </message>
    <message>
      <source>Store {store}</source>
      <translation>門市 {store}</translation>
    </message>
    <message>
      <source>Waiting to send</source>
      <translation>等待送出</translation>
    </message>
    <message>
      <source>Sending</source>
      <translation>傳送中</translation>
    </message>
    <message>
      <source>Waiting for an answer</source>
      <translation>等待閘道回覆</translation>
    </message>
    <message>
      <source>Held for a manager</source>
      <translation>待經理處理</translation>
    </message>
    <message>
      <source>Accepted</source>
      <translation>已接受</translation>
    </message>
    <message>
      <source>Failed</source>
      <translation>失敗</translation>
    </message>
    <message>
      <source>Cancelled</source>
      <translation>已取消</translation>
    </message>
    <message>
      <source>Sale</source>
      <translation>銷售</translation>
    </message>
    <message>
      <source>Void</source>
      <translation>作廢</translation>
    </message>
    <message>
      <source>Refund</source>
      <translation>退款</translation>
    </message>
    <message>
      <source>Done</source>
      <translation>完成</translation>
    </message>
    <message>
      <source>Needs attention</source>
      <translation>需要處理</translation>
    </message>
    <message>
      <source>Will retry later</source>
      <translation>稍後重試</translation>
    </message>
    <message>
      <source>Stopped by an error</source>
      <translation>因錯誤停止</translation>
    </message>
    <message>
      <source>Did not finish</source>
      <translation>未完成</translation>
    </message>
    <message>
      <source>Declined by the gateway's risk checks.</source>
      <translation>被閘道的風險檢查拒絕。</translation>
    </message>
    <message>
      <source>Declined by the card issuer: the card was flagged as fraud.</source>
      <translation>被發卡銀行拒絕：此卡被標示為盜用。</translation>
    </message>
    <message>
      <source>Declined by the card issuer.</source>
      <translation>被發卡銀行拒絕。</translation>
    </message>
    <message>
      <source>Declined by the card issuer: insufficient funds.</source>
      <translation>被發卡銀行拒絕：餘額不足。</translation>
    </message>
    <message>
      <source>The gateway has no record of this transaction.</source>
      <translation>閘道沒有這筆交易的紀錄。</translation>
    </message>
    <message>
      <source>The amount is more than the gateway allows.</source>
      <translation>金額超過閘道允許的上限。</translation>
    </message>
    <message>
      <source>The currency does not match the store or the original sale.</source>
      <translation>貨幣與門市或原始銷售不符。</translation>
    </message>
    <message>
      <source>The terminal is busy at the gateway; try again later.</source>
      <translation>閘道端的終端機忙碌中；請稍後再試。</translation>
    </message>
    <message>
      <source>The order is being closed at the gateway; try again later.</source>
      <translation>閘道正在結束此訂單；請稍後再試。</translation>
    </message>
    <message>
      <source>The bank key is not active yet; try again later.</source>
      <translation>銀行金鑰尚未啟用；請稍後再試。</translation>
    </message>
    <message>
      <source>The payment timed out at the bank; try again later.</source>
      <translation>付款在銀行端逾時；請稍後再試。</translation>
    </message>
    <message>
      <source>BRN</source>
      <translation>編號</translation>
    </message>
    <message>
      <source>Gateway code</source>
      <translation>閘道代碼</translation>
    </message>
    <message>
      <source>just now</source>
      <translation>剛剛</translation>
    </message>
    <message>
      <source>Declined</source>
      <translation>已拒絕</translation>
    </message>
    <message>
      <source>Not sent yet; it goes with the next sync.</source>
      <translation>尚未送出；下次同步時送出。</translation>
    </message>
    <message>
      <source>Being sent to the gateway now.</source>
      <translation>正在送往閘道。</translation>
    </message>
    <message>
      <source>The gateway has it but has not given a final answer yet; the next sync asks again.</source>
      <translation>閘道已收到，但尚未有最終結果；下次同步時會再查詢。</translation>
    </message>
    <message>
      <source>Cancelled on this PC; nothing was sent to the gateway.</source>
      <translation>已在本機取消；沒有送出任何資料到閘道。</translation>
    </message>
    <message>
      <source>no reason given</source>
      <translation>未提供原因</translation>
    </message>
    <message>
      <source>A manager can send it again with Retry once the problem is fixed.</source>
      <translation>問題解決後，經理可以按「重試」再次送出。</translation>
    </message>
    <message>
      <source>Nothing waiting</source>
      <translation>沒有待送資料</translation>
    </message>
    <message>
      <source>Nothing to send</source>
      <translation>沒有需要送出的紀錄</translation>
    </message>
    <message>
      <source>Waiting</source>
      <translation>待送</translation>
    </message>
    <message>
      <source>Online</source>
      <translation>連線</translation>
    </message>
    <message>
      <source>Never synced</source>
      <translation>從未同步</translation>
    </message>
    <message>
      <source>The money was not collected: ask the customer for another payment.</source>
      <translation>這筆款項沒有收到：請客人改用其他方式付款。</translation>
    </message>
    <message>
      <source>The sync was cancelled; the rest stays queued.</source>
      <translation>同步已取消；其餘資料仍在佇列中。</translation>
    </message>
    <message>
      <source>Oldest waiting: {age}</source>
      <translation>最舊待送：{age}</translation>
    </message>
    <message>
      <source>Sync within {warn} h; new sales stop at {limit} h.</source>
      <translation>請在 {warn} 小時內同步；{limit} 小時後停止接受新銷售。</translation>
    </message>
    <message>
      <source>1 needs a manager</source>
      <translation>1 筆需要經理處理</translation>
    </message>
    <message>
      <source>Checking the gateway…</source>
      <translation>正在檢查閘道…</translation>
    </message>
    <message>
      <source>Offline</source>
      <translation>離線</translation>
    </message>
    <message>
      <source>Reachable, but sync fails</source>
      <translation>可連線，但同步失敗</translation>
    </message>
    <message>
      <source>Last sync {when}: {outcome}</source>
      <translation>上次同步 {when}：{outcome}</translation>
    </message>
    <message>
      <source>Accepted by the gateway (reference {brn}).</source>
      <translation>閘道已接受（參考編號 {brn}）。</translation>
    </message>
    <message>
      <source>It had already arrived earlier, so it was not charged twice.</source>
      <translation>這筆先前已送達，所以不會重複扣款。</translation>
    </message>
    <message>
      <source>Not accepted by the gateway: {problem}</source>
      <translation>付款閘道沒有接受：{problem}</translation>
    </message>
    <message>
      <source>Declined: {problem}</source>
      <translation>已拒絕：{problem}</translation>
    </message>
    <message>
      <source>Refused: {problem}</source>
      <translation>被拒絕：{problem}</translation>
    </message>
    <message>
      <source>Result: {outcome}</source>
      <translation>結果：{outcome}</translation>
    </message>
    <message>
      <source>Accepted: {n}, already there: {d}, declined or failed: {f}, held for a manager: {h}, still waiting for an answer: {p}</source>
      <translation>已接受：{n}，先前已送達：{d}，被拒或失敗：{f}，待經理處理：{h}，仍待回覆：{p}</translation>
    </message>
    <message>
      <source>Still queued: {q}; card list changes sent: {b}, left: {bl}</source>
      <translation>仍在佇列：{q}；卡片名單變更已送出：{b}，尚餘：{bl}</translation>
    </message>
    <message>
      <source>{days} days {hours} h</source>
      <translation>{days} 天 {hours} 小時</translation>
    </message>
    <message>
      <source>{hours} h {minutes} min</source>
      <translation>{hours} 小時 {minutes} 分</translation>
    </message>
    <message>
      <source>{minutes} min</source>
      <translation>{minutes} 分鐘</translation>
    </message>
    <message>
      <source>Over {limit} h: new sales are refused until a sync.</source>
      <translation>已超過 {limit} 小時：同步前拒絕新的銷售。</translation>
    </message>
    <message>
      <source>Over {warn} h: sync now; sales stop at {limit} h.</source>
      <translation>已超過 {warn} 小時：請立即同步；{limit} 小時後停止銷售。</translation>
    </message>
    <message>
      <source>{n} waiting</source>
      <translation>{n} 筆待送</translation>
    </message>
    <message>
      <source>Its card data is kept, encrypted: a manager can send it again with Retry once the cause is fixed, or give it up. It is given up by itself after {days} days.</source>
      <translation>卡片資料仍加密保存：問題解決後，經理可以按「重試」再次送出，或放棄這筆交易。{days} 天後會自動放棄。</translation>
    </message>
    <message>
      <source>(gateway code {code})</source>
      <translation>（閘道代碼 {code}）</translation>
    </message>
    <message>
      <source>sales {amounts}</source>
      <translation>銷售 {amounts}</translation>
    </message>
    <message>
      <source>refunds {amounts}</source>
      <translation>退款 {amounts}</translation>
    </message>
    <message>
      <source>{n} void(s)</source>
      <translation>{n} 筆作廢</translation>
    </message>
    <message>
      <source>{n} card-list change(s)</source>
      <translation>{n} 項卡片名單變更</translation>
    </message>
    <message>
      <source>{n} need a manager</source>
      <translation>{n} 筆需要經理處理</translation>
    </message>
    <message>
      <source>Last try: {problem}</source>
      <translation>上次嘗試：{problem}</translation>
    </message>
    <message>
      <source>Next try after {time}.</source>
      <translation>下次嘗試時間：{time} 之後。</translation>
    </message>
    <message>
      <source>Shop-close report</source>
      <translation>打烊報表</translation>
    </message>
    <message>
      <source>A manager opens the report: choose the days and press Show report.</source>
      <translation>由經理開啟報表：選擇日期後按「顯示報表」。</translation>
    </message>
    <message>
      <source>Show report</source>
      <translation>顯示報表</translation>
    </message>
    <message>
      <source>Save PDF…</source>
      <translation>儲存 PDF…</translation>
    </message>
    <message>
      <source>Save CSV…</source>
      <translation>儲存 CSV…</translation>
    </message>
    <message>
      <source>Reconcile with the gateway</source>
      <translation>與閘道對帳</translation>
    </message>
    <message>
      <source>PDF files (*.pdf)</source>
      <translation>PDF 檔案 (*.pdf)</translation>
    </message>
    <message>
      <source>Save the report</source>
      <translation>儲存報表</translation>
    </message>
    <message>
      <source>Asking the gateway…</source>
      <translation>正在詢問閘道…</translation>
    </message>
    <message>
      <source>From</source>
      <translation>從</translation>
    </message>
    <message>
      <source>to</source>
      <translation>至</translation>
    </message>
    <message>
      <source>open the shop-close report</source>
      <translation>開啟打烊報表</translation>
    </message>
    <message>
      <source>Not shown: the manager PIN was not given.</source>
      <translation>未顯示：未輸入經理 PIN。</translation>
    </message>
    <message>
      <source>Reading the report…</source>
      <translation>正在讀取報表…</translation>
    </message>
    <message>
      <source>compare the confirmed records with the gateway</source>
      <translation>將已確認的記錄與閘道比對</translation>
    </message>
    <message>
      <source>Asked about {checked} record(s): {found} difference(s).</source>
      <translation>已詢問 {checked} 筆記錄：{found} 筆差異。</translation>
    </message>
    <message>
      <source>Nothing in this report needs a manager.</source>
      <translation>此報表沒有需要經理處理的項目。</translation>
    </message>
    <message>
      <source>Saved {name}.</source>
      <translation>已儲存 {name}。</translation>
    </message>
    <message>
      <source>{n} could not be asked; try again later.</source>
      <translation>{n} 筆無法詢問；請稍後再試。</translation>
    </message>
    <message>
      <source>{n} line(s) need a manager: see the lists in red.</source>
      <translation>{n} 項需要經理處理：請看紅色清單。</translation>
    </message>
    <message>
      <source>Cannot write {name}: {why}</source>
      <translation>無法寫入 {name}：{why}</translation>
    </message>
    <message>
      <source>Sales taken</source>
      <translation>收取的銷售</translation>
    </message>
    <message>
      <source>Voids taken</source>
      <translation>收取的作廢</translation>
    </message>
    <message>
      <source>Refunds taken</source>
      <translation>收取的退款</translation>
    </message>
    <message>
      <source>Sales confirmed by the gateway</source>
      <translation>閘道已確認的銷售</translation>
    </message>
    <message>
      <source>Voids confirmed by the gateway</source>
      <translation>閘道已確認的作廢</translation>
    </message>
    <message>
      <source>Refunds confirmed by the gateway</source>
      <translation>閘道已確認的退款</translation>
    </message>
    <message>
      <source>Declined or failed</source>
      <translation>已拒絕或失敗</translation>
    </message>
    <message>
      <source>Still waiting</source>
      <translation>仍在等待</translation>
    </message>
    <message>
      <source>Cancelled locally</source>
      <translation>已在本機取消</translation>
    </message>
    <message>
      <source>Time</source>
      <translation>時間</translation>
    </message>
    <message>
      <source>Kind</source>
      <translation>類型</translation>
    </message>
    <message>
      <source>Reason</source>
      <translation>原因</translation>
    </message>
    <message>
      <source>Store {store}, {period}; device {device}; made {made}</source>
      <translation>商店 {store}，{period}；裝置 {device}；產生於 {made}</translation>
    </message>
    <message>
      <source>Declined: chase these</source>
      <translation>被拒：需追收</translation>
    </message>
    <message>
      <source>Verified: {n} entries.</source>
      <translation>已驗證：{n} 筆記錄。</translation>
    </message>
    <message>
      <source>Chain head (pins the log as printed): entry {id}</source>
      <translation>鏈頭（印出時鎖定記錄）：第 {id} 筆</translation>
    </message>
    <message>
      <source>Count</source>
      <translation>筆數</translation>
    </message>
    <message>
      <source>Syncs</source>
      <translation>同步</translation>
    </message>
    <message>
      <source>Differences with the gateway</source>
      <translation>與閘道的差異</translation>
    </message>
    <message>
      <source>Audit trail</source>
      <translation>稽核記錄</translation>
    </message>
    <message>
      <source>Nothing was captured in this period.</source>
      <translation>此期間沒有收取任何交易。</translation>
    </message>
    <message>
      <source>Started</source>
      <translation>開始</translation>
    </message>
    <message>
      <source>By</source>
      <translation>發起者</translation>
    </message>
    <message>
      <source>Result</source>
      <translation>結果</translation>
    </message>
    <message>
      <source>No sync ran in this period.</source>
      <translation>此期間沒有執行同步。</translation>
    </message>
    <message>
      <source>Found</source>
      <translation>發現時間</translation>
    </message>
    <message>
      <source>What</source>
      <translation>事件</translation>
    </message>
    <message>
      <source>None open.</source>
      <translation>沒有未處理的差異。</translation>
    </message>
    <message>
      <source>Card list</source>
      <translation>卡片名單</translation>
    </message>
    <message>
      <source>{added} added, {removed} removed here; sent to the gateway: {sent_added} added, {sent_removed} removed; {failed} refused.</source>
      <translation>本機新增 {added}、移除 {removed}；已送至閘道：新增 {sent_added}、移除 {sent_removed}；{failed} 筆被拒。</translation>
    </message>
    <message>
      <source>The manager PIN must be 4 to 8 digits.</source>
      <translation>經理 PIN 必須是 4 到 8 位數字。</translation>
    </message>
    <message>
      <source>The two PINs differ; type the same PIN twice.</source>
      <translation>兩次輸入的 PIN 不同；請輸入相同的 PIN 兩次。</translation>
    </message>
    <message>
      <source>That PIN is not the manager PIN.</source>
      <translation>這不是經理 PIN。</translation>
    </message>
    <message>
      <source>Australian dollar</source>
      <translation>澳元</translation>
    </message>
    <message>
      <source>Canadian dollar</source>
      <translation>加元</translation>
    </message>
    <message>
      <source>Swiss franc</source>
      <translation>瑞士法郎</translation>
    </message>
    <message>
      <source>Chinese yuan</source>
      <translation>人民幣</translation>
    </message>
    <message>
      <source>Euro</source>
      <translation>歐元</translation>
    </message>
    <message>
      <source>Pound sterling</source>
      <translation>英鎊</translation>
    </message>
    <message>
      <source>Hong Kong dollar</source>
      <translation>港元</translation>
    </message>
    <message>
      <source>Indonesian rupiah</source>
      <translation>印尼盾</translation>
    </message>
    <message>
      <source>Indian rupee</source>
      <translation>印度盧比</translation>
    </message>
    <message>
      <source>Japanese yen</source>
      <translation>日圓</translation>
    </message>
    <message>
      <source>South Korean won</source>
      <translation>韓元</translation>
    </message>
    <message>
      <source>Macanese pataca</source>
      <translation>澳門幣</translation>
    </message>
    <message>
      <source>Malaysian ringgit</source>
      <translation>馬來西亞令吉</translation>
    </message>
    <message>
      <source>New Zealand dollar</source>
      <translation>紐西蘭元</translation>
    </message>
    <message>
      <source>Philippine peso</source>
      <translation>菲律賓披索</translation>
    </message>
    <message>
      <source>Singapore dollar</source>
      <translation>新加坡元</translation>
    </message>
    <message>
      <source>Thai baht</source>
      <translation>泰銖</translation>
    </message>
    <message>
      <source>New Taiwan dollar</source>
      <translation>新台幣</translation>
    </message>
    <message>
      <source>US dollar</source>
      <translation>美元</translation>
    </message>
    <message>
      <source>Vietnamese dong</source>
      <translation>越南盾</translation>
    </message>
    <message>
      <source>Typed in (manual)</source>
      <translation>手動輸入</translation>
    </message>
    <message>
      <source>Swiped (magnetic stripe)</source>
      <translation>刷卡（磁條）</translation>
    </message>
    <message>
      <source>Chip inserted (contact)</source>
      <translation>插卡（晶片）</translation>
    </message>
    <message>
      <source>Tapped (contactless)</source>
      <translation>感應（非接觸式）</translation>
    </message>
    <message>
      <source>Payment</source>
      <translation>付款</translation>
    </message>
    <message>
      <source>Currency</source>
      <translation>幣別</translation>
    </message>
    <message>
      <source>Approval code</source>
      <translation>授權碼</translation>
    </message>
    <message>
      <source>Only if the bank gave an approval code by phone.</source>
      <translation>只有在銀行以電話提供授權碼時才填寫。</translation>
    </message>
    <message>
      <source>How the card was read</source>
      <translation>讀卡方式</translation>
    </message>
    <message>
      <source>Card reader</source>
      <translation>讀卡機</translation>
    </message>
    <message>
      <source>Other card</source>
      <translation>換一張卡</translation>
    </message>
    <message>
      <source>Card number</source>
      <translation>卡號</translation>
    </message>
    <message>
      <source>Expiry</source>
      <translation>有效期限</translation>
    </message>
    <message>
      <source>CVV</source>
      <translation>CVV</translation>
    </message>
    <message>
      <source>The 3 or 4 digits on the back.</source>
      <translation>卡片背面的 3 或 4 位數字。</translation>
    </message>
    <message>
      <source>Card sequence number</source>
      <translation>卡片序號</translation>
    </message>
    <message>
      <source>Chip data (ICC)</source>
      <translation>晶片資料 (ICC)</translation>
    </message>
    <message>
      <source>Clear</source>
      <translation>清除</translation>
    </message>
    <message>
      <source>Queue sale</source>
      <translation>加入佇列</translation>
    </message>
    <message>
      <source>Declined: the sale of {sale} was not accepted by the gateway ({why}).</source>
      <translation>已拒絕：{sale}的銷售未被閘道接受（{why}）。</translation>
    </message>
    <message>
      <source>Held: the sale of {sale} needs a manager on the Transactions screen ({why}).</source>
      <translation>已暫停：{sale}的銷售需要經理在「交易」畫面處理（{why}）。</translation>
    </message>
    <message>
      <source>Card read. Check the amount, then queue the sale.</source>
      <translation>已讀取卡片。請確認金額，再把交易加入佇列。</translation>
    </message>
    <message>
      <source>Press Enter to queue the sale. Nothing is stored until every field is right; after the sale the card number is only shown masked.</source>
      <translation>按 Enter 把交易加入佇列。所有欄位正確之前不會儲存任何資料；交易後卡號只會以遮罩方式顯示。</translation>
    </message>
    <message>
      <source>optional</source>
      <translation>選填</translation>
    </message>
    <message>
      <source>Click here, then swipe the card</source>
      <translation>點這裡，然後刷卡</translation>
    </message>
    <message>
      <source>Card number as printed on the card</source>
      <translation>卡片上印的卡號</translation>
    </message>
    <message>
      <source>MM/YY</source>
      <translation>月/年</translation>
    </message>
    <message>
      <source>Type the expiry as printed on the card: month/year, like 12/29.</source>
      <translation>請依卡片上的格式輸入有效期限：月/年，例如 12/29。</translation>
    </message>
    <message>
      <source>{amount} on card {card}</source>
      <translation>卡片 {card} 的 {amount}</translation>
    </message>
    <message>
      <source>Sale queued: {sale}. It is sent at the next sync.</source>
      <translation>銷售已加入佇列：{sale}。將在下次同步時傳送。</translation>
    </message>
    <message>
      <source>Please correct the fields marked in red.</source>
      <translation>請修正紅色標示的欄位。</translation>
    </message>
    <message>
      <source>environment variable</source>
      <translation>環境變數</translation>
    </message>
    <message>
      <source>OS keyring</source>
      <translation>作業系統鑰匙圈</translation>
    </message>
    <message>
      <source>passphrase file</source>
      <translation>密語檔案</translation>
    </message>
    <message>
      <source>Production (live payments)</source>
      <translation>正式環境（真實付款）</translation>
    </message>
    <message>
      <source>Develop (the payment provider's test system)</source>
      <translation>開發環境（支付服務商的測試系統）</translation>
    </message>
    <message>
      <source>Sandbox (built-in test gateway, no account)</source>
      <translation>沙盒（內建測試閘道，不需帳號）</translation>
    </message>
    <message>
      <source>Custom (addresses given by the provider)</source>
      <translation>自訂（由服務商提供網址）</translation>
    </message>
    <message>
      <source>Block list: refuse listed cards</source>
      <translation>封鎖名單：拒絕名單上的卡</translation>
    </message>
    <message>
      <source>Allow list: accept only listed cards</source>
      <translation>允許名單：只接受名單上的卡</translation>
    </message>
    <message>
      <source>Largest offline sale, per currency</source>
      <translation>每種幣別單筆離線交易上限</translation>
    </message>
    <message>
      <source>Most unsent money, per currency</source>
      <translation>每種幣別未送金額上限</translation>
    </message>
    <message>
      <source>Warn when the oldest unsent record is older than (hours)</source>
      <translation>最舊未送資料超過幾小時時警告</translation>
    </message>
    <message>
      <source>Refuse new sales when it is older than (hours)</source>
      <translation>超過幾小時時拒絕新交易</translation>
    </message>
    <message>
      <source>Gateway</source>
      <translation>閘道</translation>
    </message>
    <message>
      <source>Environment</source>
      <translation>環境</translation>
    </message>
    <message>
      <source>Payment address</source>
      <translation>付款網址</translation>
    </message>
    <message>
      <source>Login address</source>
      <translation>登入網址</translation>
    </message>
    <message>
      <source>Client id</source>
      <translation>用戶端 ID</translation>
    </message>
    <message>
      <source>Client secret</source>
      <translation>用戶端密鑰</translation>
    </message>
    <message>
      <source>Store and device</source>
      <translation>門市與裝置</translation>
    </message>
    <message>
      <source>Store id</source>
      <translation>門市 ID</translation>
    </message>
    <message>
      <source>Gateway user</source>
      <translation>閘道使用者</translation>
    </message>
    <message>
      <source>Device model</source>
      <translation>裝置型號</translation>
    </message>
    <message>
      <source>Sent to the gateway in the device headers.</source>
      <translation>會放在裝置標頭中送往閘道。</translation>
    </message>
    <message>
      <source>Device id</source>
      <translation>裝置 ID</translation>
    </message>
    <message>
      <source>Card list mode</source>
      <translation>卡片名單模式</translation>
    </message>
    <message>
      <source>Offline limits</source>
      <translation>離線限制</translation>
    </message>
    <message>
      <source>Sending and schedule</source>
      <translation>傳送與排程</translation>
    </message>
    <message>
      <source>Shop closes at (HH:MM)</source>
      <translation>打烊時間（時:分）</translation>
    </message>
    <message>
      <source>The window syncs at this time if it is open.</source>
      <translation>若視窗開著，會在這個時間同步。</translation>
    </message>
    <message>
      <source>Records per request</source>
      <translation>每次請求的筆數</translation>
    </message>
    <message>
      <source>Requests at the same time</source>
      <translation>同時請求數</translation>
    </message>
    <message>
      <source>Request timeout (seconds)</source>
      <translation>請求逾時（秒）</translation>
    </message>
    <message>
      <source>Send new records after (seconds)</source>
      <translation>新紀錄送出延遲（秒）</translation>
    </message>
    <message>
      <source>While the gateway is reachable; 0 sends only on Sync or when it comes back.</source>
      <translation>在可連上閘道時；0 表示只在同步或恢復連線時送出。</translation>
    </message>
    <message>
      <source>Language</source>
      <translation>語言</translation>
    </message>
    <message>
      <source>Changes when the settings are saved.</source>
      <translation>儲存設定後立即變更。</translation>
    </message>
    <message>
      <source>Undo changes</source>
      <translation>復原變更</translation>
    </message>
    <message>
      <source>Save settings</source>
      <translation>儲存設定</translation>
    </message>
    <message>
      <source>Manager PIN</source>
      <translation>經理 PIN</translation>
    </message>
    <message>
      <source>Current PIN</source>
      <translation>目前 PIN</translation>
    </message>
    <message>
      <source>New PIN (4 to 8 digits)</source>
      <translation>新 PIN（4 到 8 位數字）</translation>
    </message>
    <message>
      <source>Repeat new PIN</source>
      <translation>再次輸入新 PIN</translation>
    </message>
    <message>
      <source>Change PIN</source>
      <translation>變更 PIN</translation>
    </message>
    <message>
      <source>This PC</source>
      <translation>本機</translation>
    </message>
    <message>
      <source>Data folder</source>
      <translation>資料夾</translation>
    </message>
    <message>
      <source>Database key kept in</source>
      <translation>資料庫金鑰存放於</translation>
    </message>
    <message>
      <source>Version</source>
      <translation>版本</translation>
    </message>
    <message>
      <source>Not saved: please correct the fields marked in red.</source>
      <translation>未儲存：請修正紅色標示的欄位。</translation>
    </message>
    <message>
      <source>Settings saved.</source>
      <translation>設定已儲存。</translation>
    </message>
    <message>
      <source>The manager PIN was changed.</source>
      <translation>經理 PIN 已變更。</translation>
    </message>
    <message>
      <source>unchanged</source>
      <translation>不變更</translation>
    </message>
    <message>
      <source>Like: HKD 5000, USD 1000</source>
      <translation>例如：HKD 5000, USD 1000</translation>
    </message>
    <message>
      <source>Device model must not be empty.</source>
      <translation>裝置型號不能空白。</translation>
    </message>
    <message>
      <source>A custom environment needs the client secret.</source>
      <translation>自訂環境需要用戶端密鑰。</translation>
    </message>
    <message>
      <source>change the settings</source>
      <translation>變更設定</translation>
    </message>
    <message>
      <source>Not saved: the manager PIN was not given.</source>
      <translation>未儲存：沒有輸入經理 PIN。</translation>
    </message>
    <message>
      <source>Write each currency and amount like: HKD 5000, USD 1000.</source>
      <translation>請以此格式輸入幣別與金額：HKD 5000, USD 1000。</translation>
    </message>
    <message>
      <source>Type a number.</source>
      <translation>請輸入數字。</translation>
    </message>
    <message>
      <source>Reading the queue…</source>
      <translation>正在讀取佇列…</translation>
    </message>
    <message>
      <source>Records a manager must look at; pick one to open it.</source>
      <translation>需要經理查看的紀錄；點選即可開啟。</translation>
    </message>
    <message>
      <source>Unattended sync running since {time}</source>
      <translation>自動同步自 {time} 起執行中</translation>
    </message>
    <message>
      <source>{n} card-list change(s) refused by the gateway</source>
      <translation>{n} 項卡片名單變更被閘道拒絕</translation>
    </message>
    <message>
      <source>{n} difference(s) with the gateway</source>
      <translation>{n} 項與閘道不符的差異</translation>
    </message>
    <message>
      <source>… and {n} more on the Transactions screen</source>
      <translation>…另有 {n} 筆，請見「交易」畫面</translation>
    </message>
    <message>
      <source>Started by</source>
      <translation>啟動者</translation>
    </message>
    <message>
      <source>Left</source>
      <translation>剩餘</translation>
    </message>
    <message>
      <source>Uploading sales</source>
      <translation>上傳銷售</translation>
    </message>
    <message>
      <source>Uploading voids</source>
      <translation>上傳作廢</translation>
    </message>
    <message>
      <source>Uploading refunds</source>
      <translation>上傳退款</translation>
    </message>
    <message>
      <source>Waiting for pending results</source>
      <translation>等待處理中的結果</translation>
    </message>
    <message>
      <source>Sending card list changes</source>
      <translation>送出卡片名單變更</translation>
    </message>
    <message>
      <source>Finished</source>
      <translation>結束</translation>
    </message>
    <message>
      <source>The gateway cannot be reached: check this PC's network connection, or the gateway address in Settings.</source>
      <translation>無法連上閘道：請檢查這台電腦的網路連線，或「設定」中的閘道地址。</translation>
    </message>
    <message>
      <source>The connection to the gateway broke off before its answer arrived; the records go again with the same ids, which are never charged twice.</source>
      <translation>與閘道的連線在收到回覆前中斷；紀錄會以相同編號重新傳送，不會重複扣款。</translation>
    </message>
    <message>
      <source>The gateway has a problem on its side (a server error); the records go again later.</source>
      <translation>閘道端發生問題（伺服器錯誤）；紀錄稍後會再傳送。</translation>
    </message>
    <message>
      <source>The gateway asked to slow down; the rest goes at the next sync.</source>
      <translation>閘道要求放慢速度；其餘紀錄將在下次同步時傳送。</translation>
    </message>
    <message>
      <source>The gateway's answer could not be read; check the gateway address in Settings.</source>
      <translation>無法讀取閘道的回覆；請檢查「設定」中的閘道地址。</translation>
    </message>
    <message>
      <source>The gateway refused the login: log in again with the button above.</source>
      <translation>閘道拒絕登入：請用上方的按鈕重新登入。</translation>
    </message>
    <message>
      <source>The gateway has no card list set up for this store; ask the payment provider.</source>
      <translation>閘道尚未為本店設定卡片名單；請洽詢支付服務商。</translation>
    </message>
    <message>
      <source>The gateway refused the request; if it happens again, ask the payment provider.</source>
      <translation>閘道拒絕了請求；如果再次發生，請洽詢支付服務商。</translation>
    </message>
    <message>
      <source>Another program was writing to the queue (for example a large import); sync again when it is done.</source>
      <translation>另一個程式正在寫入佇列（例如大量匯入）；完成後請再同步。</translation>
    </message>
    <message>
      <source>This window</source>
      <translation>本視窗</translation>
    </message>
    <message>
      <source>Tray icon</source>
      <translation>系統匣圖示</translation>
    </message>
    <message>
      <source>Command line</source>
      <translation>命令列</translation>
    </message>
    <message>
      <source>Automatic (back online)</source>
      <translation>自動（恢復連線）</translation>
    </message>
    <message>
      <source>Shop close</source>
      <translation>打烊</translation>
    </message>
    <message>
      <source>Unattended (scheduled)</source>
      <translation>自動（排程）</translation>
    </message>
    <message>
      <source>Demo</source>
      <translation>示範</translation>
    </message>
    <message>
      <source>Sync with the gateway</source>
      <translation>與閘道同步</translation>
    </message>
    <message>
      <source>Send now</source>
      <translation>立即送出</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>取消</translation>
    </message>
    <message>
      <source>Log in to the gateway…</source>
      <translation>登入閘道…</translation>
    </message>
    <message>
      <source>Not running.</source>
      <translation>未執行。</translation>
    </message>
    <message>
      <source>%v of %m</source>
      <translation>%v / %m</translation>
    </message>
    <message>
      <source>Last result</source>
      <translation>上次結果</translation>
    </message>
    <message>
      <source>No sync has run in this window yet.</source>
      <translation>本視窗尚未執行過同步。</translation>
    </message>
    <message>
      <source>Needs attention:</source>
      <translation>需要處理：</translation>
    </message>
    <message>
      <source>History</source>
      <translation>歷史紀錄</translation>
    </message>
    <message>
      <source>Cancelling after the current batch…</source>
      <translation>目前批次完成後取消…</translation>
    </message>
    <message>
      <source>Finished.</source>
      <translation>已完成。</translation>
    </message>
    <message>
      <source>Stopped.</source>
      <translation>已停止。</translation>
    </message>
    <message>
      <source>Logging in…</source>
      <translation>登入中…</translation>
    </message>
    <message>
      <source>Logged in; the password is kept (encrypted) for later syncs.</source>
      <translation>已登入；密碼已加密保存，供之後同步使用。</translation>
    </message>
    <message>
      <source>A sync is already running.</source>
      <translation>已有同步在執行。</translation>
    </message>
    <message>
      <source>Nothing to send.</source>
      <translation>沒有需要傳送的紀錄。</translation>
    </message>
    <message>
      <source>Nothing was waiting to be sent.</source>
      <translation>沒有等待傳送的紀錄。</translation>
    </message>
    <message>
      <source>Type the password.</source>
      <translation>請輸入密碼。</translation>
    </message>
    <message>
      <source>Log in</source>
      <translation>登入</translation>
    </message>
    <message>
      <source>Password</source>
      <translation>密碼</translation>
    </message>
    <message>
      <source>running</source>
      <translation>執行中</translation>
    </message>
    <message>
      <source>Starting ({trigger})…</source>
      <translation>開始中（{trigger}）…</translation>
    </message>
    <message>
      <source>Trying again in {seconds} s (try {n}). {why}</source>
      <translation>{seconds} 秒後重試（第 {n} 次）。{why}</translation>
    </message>
    <message>
      <source>Sync finished: {outcome}.</source>
      <translation>同步結束：{outcome}。</translation>
    </message>
    <message>
      <source>Last run: {trigger}, {time}</source>
      <translation>上次同步：{trigger}，{time}</translation>
    </message>
    <message>
      <source>The unattended sync holds the lock: {who} Your records go with that run.</source>
      <translation>自動同步正在執行：{who} 您的資料會由該次同步送出。</translation>
    </message>
    <message>
      <source>Login failed: {why}</source>
      <translation>登入失敗：{why}</translation>
    </message>
    <message>
      <source>Gateway password for {user}:</source>
      <translation>{user} 的閘道密碼：</translation>
    </message>
    <message>
      <source>Finished {time}</source>
      <translation>完成於 {time}</translation>
    </message>
    <message>
      <source>All states</source>
      <translation>所有狀態</translation>
    </message>
    <message>
      <source>Not sent yet</source>
      <translation>尚未送出</translation>
    </message>
    <message>
      <source>Waiting for the gateway's answer</source>
      <translation>等待閘道回覆</translation>
    </message>
    <message>
      <source>Type</source>
      <translation>類型</translation>
    </message>
    <message>
      <source>State</source>
      <translation>狀態</translation>
    </message>
    <message>
      <source>Refunded</source>
      <translation>已退款</translation>
    </message>
    <message>
      <source>Left to refund</source>
      <translation>剩餘可退</translation>
    </message>
    <message>
      <source>Captured</source>
      <translation>交易時間</translation>
    </message>
    <message>
      <source>Original sale</source>
      <translation>原始交易</translation>
    </message>
    <message>
      <source>Reference (BRN)</source>
      <translation>參考編號 (BRN)</translation>
    </message>
    <message>
      <source>Transaction id</source>
      <translation>交易 ID</translation>
    </message>
    <message>
      <source>Tries</source>
      <translation>嘗試次數</translation>
    </message>
    <message>
      <source>Captured from</source>
      <translation>交易日期從</translation>
    </message>
    <message>
      <source>Refresh</source>
      <translation>重新整理</translation>
    </message>
    <message>
      <source>Gateway answer</source>
      <translation>閘道回覆</translation>
    </message>
    <message>
      <source>Select a transaction to see its details.</source>
      <translation>選擇一筆交易以查看詳細資料。</translation>
    </message>
    <message>
      <source>History (audit trail)</source>
      <translation>歷程（稽核紀錄）</translation>
    </message>
    <message>
      <source>Details</source>
      <translation>詳細資料</translation>
    </message>
    <message>
      <source>Void…</source>
      <translation>作廢…</translation>
    </message>
    <message>
      <source>Refund…</source>
      <translation>退款…</translation>
    </message>
    <message>
      <source>Retry</source>
      <translation>重試</translation>
    </message>
    <message>
      <source>Give up…</source>
      <translation>放棄…</translation>
    </message>
    <message>
      <source>Mark as seen</source>
      <translation>標示為已查看</translation>
    </message>
    <message>
      <source>A manager has seen this failed record: it stops needing attention.</source>
      <translation>經理已查看這筆失敗的紀錄：不再需要處理。</translation>
    </message>
    <message>
      <source>Refund queued; it is sent at the next sync.</source>
      <translation>退款已加入佇列；下次同步時送出。</translation>
    </message>
    <message>
      <source>send a failed transaction again</source>
      <translation>再次送出失敗的交易</translation>
    </message>
    <message>
      <source>It will be sent again at the next sync.</source>
      <translation>下次同步時會再次送出。</translation>
    </message>
    <message>
      <source>give up a held transaction for good (its card data is erased)</source>
      <translation>永久放棄一筆待處理的交易（卡片資料會被清除）</translation>
    </message>
    <message>
      <source>Given up: it will not be sent, and its card data was erased.</source>
      <translation>已放棄：這筆交易不會送出，卡片資料已清除。</translation>
    </message>
    <message>
      <source>mark a failed transaction as seen</source>
      <translation>將失敗的交易標示為已查看</translation>
    </message>
    <message>
      <source>Marked as seen: it no longer needs attention.</source>
      <translation>已標示為已查看：不再需要處理。</translation>
    </message>
    <message>
      <source>Search: reference, last 4 digits, amount</source>
      <translation>搜尋：參考編號、卡號後 4 碼、金額</translation>
    </message>
    <message>
      <source>Show</source>
      <translation>顯示</translation>
    </message>
    <message>
      <source>When</source>
      <translation>時間</translation>
    </message>
    <message>
      <source>void the sale of {amount} on card {card}</source>
      <translation>作廢卡號 {card} 的 {amount} 交易</translation>
    </message>
    <message>
      <source>Void queued; it is sent at the next sync.</source>
      <translation>作廢已加入佇列；下次同步時送出。</translation>
    </message>
    <message>
      <source>refund part or all of {amount} on card {card}</source>
      <translation>退還卡號 {card} 的 {amount} 交易的部分或全部金額</translation>
    </message>
    <message>
      <source>nothing (voided)</source>
      <translation>無（已作廢）</translation>
    </message>
    <message>
      <source>Showing {n}</source>
      <translation>顯示 {n} 筆</translation>
    </message>
    <message>
      <source>Showing {n} of {total}</source>
      <translation>顯示 {n} 筆，共 {total} 筆</translation>
    </message>
    <message>
      <source>How much to refund of {amount}? Left to refund: {left}.</source>
      <translation>{amount} 要退款多少？剩餘可退：{left}。</translation>
    </message>
    <message>
      <source>New PIN</source>
      <translation>新 PIN</translation>
    </message>
    <message>
      <source>Repeat PIN</source>
      <translation>再次輸入 PIN</translation>
    </message>
    <message>
      <source>No manager PIN is set on this PC yet. Set one now; it will be asked before voids, refunds, retries, card list changes and settings.</source>
      <translation>本機尚未設定經理 PIN。請現在設定；作廢、退款、重試、變更卡片名單與設定前都會要求輸入。</translation>
    </message>
    <message>
      <source>A manager must approve: {action}</source>
      <translation>需要經理核准：{action}</translation>
    </message>
    <message>
      <source>In this computer's keyring (recommended)</source>
      <translation>存放在本機的鑰匙圈（建議）</translation>
    </message>
    <message>
      <source>In a file protected by a passphrase (asked at every start)</source>
      <translation>存放在受密語保護的檔案（每次啟動都需輸入）</translation>
    </message>
    <message>
      <source>In the EDGE_APP_DB_KEY environment variable (for servers)</source>
      <translation>存放在 EDGE_APP_DB_KEY 環境變數（伺服器用）</translation>
    </message>
    <message>
      <source>Real card payments of a live store.</source>
      <translation>正式營業門市的真實卡片付款。</translation>
    </message>
    <message>
      <source>The payment provider's test system, with test cards only.</source>
      <translation>支付服務商的測試系統，只能使用測試卡。</translation>
    </message>
    <message>
      <source>A test gateway inside this program, for training and trying things out.</source>
      <translation>本程式內建的測試閘道，供訓練和試用。</translation>
    </message>
    <message>
      <source>Addresses and client credentials your payment provider gave you.</source>
      <translation>由支付服務商提供的地址和用戶端憑證。</translation>
    </message>
    <message>
      <source>Logged in to the gateway.</source>
      <translation>已登入閘道。</translation>
    </message>
    <message>
      <source>Which gateway?</source>
      <translation>使用哪個閘道？</translation>
    </message>
    <message>
      <source>Choose where this store's payments are sent. Your payment provider tells you.</source>
      <translation>選擇本門市付款要送往哪裡。請向您的支付服務商確認。</translation>
    </message>
    <message>
      <source>Welcome. These few steps set up Edge Uploader on this PC: where payments go, the store, how the queue is protected and who may approve voids and refunds.</source>
      <translation>歡迎。以下幾個步驟會在本機設定 Edge Uploader：付款送往哪裡、門市資料、佇列如何保護，以及誰可以核准作廢與退款。</translation>
    </message>
    <message>
      <source>same as the payment address</source>
      <translation>與付款網址相同</translation>
    </message>
    <message>
      <source>Store and account</source>
      <translation>門市與帳號</translation>
    </message>
    <message>
      <source>The store id and the gateway account this PC sends with.</source>
      <translation>本機送出資料時使用的門市 ID 與閘道帳號。</translation>
    </message>
    <message>
      <source>Used to log in when setup finishes. Without a network you can still finish; the window logs in later.</source>
      <translation>設定完成時用來登入。沒有網路也能完成設定；視窗會在之後登入。</translation>
    </message>
    <message>
      <source>Block list: cards on the list are refused</source>
      <translation>封鎖名單：名單上的卡會被拒絕</translation>
    </message>
    <message>
      <source>Allow list: only cards on the list are accepted</source>
      <translation>允許名單：只接受名單上的卡</translation>
    </message>
    <message>
      <source>Must match how the payment provider set up the store.</source>
      <translation>必須與支付服務商對門市的設定一致。</translation>
    </message>
    <message>
      <source>Security</source>
      <translation>安全性</translation>
    </message>
    <message>
      <source>The queue is encrypted. Choose where its key is kept, and set the manager PIN.</source>
      <translation>佇列已加密。請選擇金鑰存放位置，並設定經理 PIN。</translation>
    </message>
    <message>
      <source>Set up</source>
      <translation>完成設定</translation>
    </message>
    <message>
      <source>Database key</source>
      <translation>資料庫金鑰</translation>
    </message>
    <message>
      <source>At least 8 characters. Without it the queue cannot be opened: keep it safe.</source>
      <translation>至少 8 個字元。沒有它就無法開啟佇列，請妥善保管。</translation>
    </message>
    <message>
      <source>Repeat passphrase</source>
      <translation>再次輸入密語</translation>
    </message>
    <message>
      <source>4 to 8 digits; asked before voids, refunds, retries, card list changes and settings.</source>
      <translation>4 到 8 位數字；作廢、退款、重試、變更卡片名單與設定前會要求輸入。</translation>
    </message>
    <message>
      <source>EDGE_APP_DB_KEY is not set; choose another place for the key.</source>
      <translation>未設定 EDGE_APP_DB_KEY；請選擇其他金鑰存放位置。</translation>
    </message>
    <message>
      <source>Finishing</source>
      <translation>完成中</translation>
    </message>
    <message>
      <source>Set up Edge Uploader</source>
      <translation>設定 Edge Uploader</translation>
    </message>
    <message>
      <source>Type the client id your payment provider gave you.</source>
      <translation>請輸入支付服務商提供的用戶端 ID。</translation>
    </message>
    <message>
      <source>Type the client secret your payment provider gave you.</source>
      <translation>請輸入支付服務商提供的用戶端密鑰。</translation>
    </message>
    <message>
      <source>The passphrase must be at least 8 characters long.</source>
      <translation>密語至少要 8 個字元。</translation>
    </message>
    <message>
      <source>No password was given: this PC works offline. Log in from the Sync screen before the first sync.</source>
      <translation>未提供密碼：本機以離線方式運作。第一次同步前請在「同步」畫面登入。</translation>
    </message>
    <message>
      <source>The gateway could not be reached, so this PC was set up offline. Sales can be taken now; the password is kept encrypted and used at the first sync.</source>
      <translation>無法連上閘道，因此本機以離線方式完成設定。現在已可收款；密碼已加密保存，會在第一次同步時使用。</translation>
    </message>
    <message>
      <source>Type the address your payment provider gave you.</source>
      <translation>請輸入支付服務商提供的網址。</translation>
    </message>
    <message>
      <source>No keyring was found on this computer, so the key is kept in a file protected by your passphrase.</source>
      <translation>這台電腦找不到金鑰圈，因此金鑰存放在受您的密語保護的檔案中。</translation>
    </message>
    <message>
      <source>EDGE_APP_DB_KEY is set in this session.</source>
      <translation>目前工作階段已設定 EDGE_APP_DB_KEY。</translation>
    </message>
    <message>
      <source>EDGE_APP_DB_KEY is not set in this session.</source>
      <translation>目前工作階段未設定 EDGE_APP_DB_KEY。</translation>
    </message>
    <message>
      <source>The two passphrases differ; type the same one twice.</source>
      <translation>兩次輸入的密語不同；請輸入相同的密語兩次。</translation>
    </message>
    <message>
      <source>Edge Uploader is set up for store {store} in {home}.</source>
      <translation>Edge Uploader 已為門市 {store} 設定完成，資料位於 {home}。</translation>
    </message>
    <message>
      <source>Logging in to the gateway…</source>
      <translation>正在登入閘道…</translation>
    </message>
    <message>
      <source>The gateway refused the login ({why}). Log in again from the Sync screen.</source>
      <translation>閘道拒絕登入（{why}）。請在「同步」畫面重新登入。</translation>
    </message>
    <message>
      <source>No OS keyring is available on this computer; choose the passphrase file instead.</source>
      <translation>這台電腦沒有系統金鑰圈；請改選密語保護的檔案。</translation>
    </message>
    <message>
      <source>Something went wrong ({kind}); see the log for details.</source>
      <translation>發生錯誤（{kind}）；詳情請見記錄檔。</translation>
    </message>
  </context>
</TS>
