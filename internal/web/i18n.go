package web

import (
	"fmt"
	"time"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// messages is the console's text, Vietnamese first. Workflow buttons use the
// workflow's own words (QĐ 17/2022/QĐ-UBND's procedure).
var messages = map[string]i18n.Text{
	"app":              i18n.T("CaMau-G · Trang cán bộ", "CaMau-G · Staff console"),
	"skip":             i18n.T("Bỏ qua, đến nội dung chính", "Skip to main content"),
	"signin":           i18n.T("Đăng nhập", "Sign in"),
	"signin.title":     i18n.T("Đăng nhập trang cán bộ", "Sign in to the staff console"),
	"signin.login":     i18n.T("Email hoặc số điện thoại", "Email or phone number"),
	"signin.password":  i18n.T("Mật khẩu", "Password"),
	"signin.help":      i18n.T("Dành cho cán bộ cơ quan, điều phối viên và quản trị viên. Người dân dùng ứng dụng CaMau-G.", "For agency officers, coordinators and administrators. Residents use the CaMau-G app."),
	"signout":          i18n.T("Đăng xuất", "Sign out"),
	"signedout":        i18n.T("Bạn đã đăng xuất.", "You have signed out."),
	"lang.switch":      i18n.T("English", "Tiếng Việt"),
	"nav.queue":        i18n.T("Hàng đợi xử lý", "Work queue"),
	"nav.triage":       i18n.T("Điều phối", "Triage"),
	"nav.staff":        i18n.T("Cán bộ", "Staff"),
	"nav.reference":    i18n.T("Danh mục", "Reference data"),
	"queue.title":      i18n.T("Phản ánh cần xử lý", "Reports to handle"),
	"queue.all":        i18n.T("Tất cả cơ quan", "All agencies"),
	"queue.open":       i18n.T("Chưa xong", "Open"),
	"queue.empty":      i18n.T("Không có phản ánh nào.", "No reports."),
	"queue.more":       i18n.T("Trang sau", "Next page"),
	"queue.live":       i18n.T("Danh sách tự cập nhật khi có phản ánh mới.", "The list updates itself when new reports arrive."),
	"filter":           i18n.T("Lọc", "Filter"),
	"filter.category":  i18n.T("Lĩnh vực", "Category"),
	"filter.any":       i18n.T("Tất cả", "All"),
	"filter.overdue":   i18n.T("Chỉ quá hạn", "Overdue only"),
	"filter.q":         i18n.T("Mã phản ánh hoặc từ khóa", "Tracking code or words"),
	"col.code":         i18n.T("Mã", "Code"),
	"col.category":     i18n.T("Lĩnh vực", "Category"),
	"col.area":         i18n.T("Địa bàn", "Area"),
	"col.agency":       i18n.T("Cơ quan", "Agency"),
	"col.age":          i18n.T("Tiếp nhận", "Received"),
	"col.due":          i18n.T("Hạn xử lý", "Deadline"),
	"col.status":       i18n.T("Trạng thái", "Status"),
	"urgent":           i18n.T("Khẩn", "Urgent"),
	"overdue":          i18n.T("Quá hạn", "Overdue"),
	"left":             i18n.T("còn", "left"),
	"working":          i18n.T("giờ làm việc", "working time"),
	"ago":              i18n.T("trước", "ago"),
	"report":           i18n.T("Phản ánh", "Report"),
	"report.desc":      i18n.T("Nội dung", "Description"),
	"report.photos":    i18n.T("Hình ảnh", "Photos"),
	"report.place":     i18n.T("Vị trí", "Location"),
	"report.address":   i18n.T("Địa chỉ", "Address"),
	"report.coords":    i18n.T("Tọa độ", "Coordinates"),
	"report.maptiles":  i18n.T("Bản đồ nền có thể không tải được; điểm và tọa độ vẫn hiển thị.", "Map tiles may not load; the point and its coordinates are still shown."),
	"report.reporter":  i18n.T("Người phản ánh", "Reporter"),
	"report.anonymous": i18n.T("Người phản ánh được giữ bí mật (Nghị định 13/2023/NĐ-CP).", "The reporter's identity is confidential (Decree 13/2023)."),
	"report.contact":   i18n.T("Số liên hệ (người phản ánh đồng ý chia sẻ)", "Contact number (shared with the reporter's consent)"),
	"report.nocontact": i18n.T("Người phản ánh không để lại số liên hệ.", "The reporter left no contact number."),
	"report.routing":   i18n.T("Lý do định tuyến", "Routing reason"),
	"report.answer":    i18n.T("Kết quả xử lý", "Answer"),
	"report.rejected":  i18n.T("Lý do từ chối", "Rejection reason"),
	"report.dupof":     i18n.T("Trùng với", "Duplicate of"),
	"report.history":   i18n.T("Lịch sử xử lý", "History"),
	"report.deadlines": i18n.T("Thời hạn", "Deadlines"),
	"report.dispatch":  i18n.T("Hạn chuyển xử lý", "Dispatch due"),
	"report.response":  i18n.T("Hạn phản hồi", "Response due"),
	"report.resolve":   i18n.T("Hạn giải quyết", "Resolution due"),
	"report.extension": i18n.T("Đang xin gia hạn đến", "Extension requested until"),
	"report.actions":   i18n.T("Thao tác", "Actions"),
	"report.noaction":  i18n.T("Bạn không có thao tác nào với phản ánh này lúc này.", "There is nothing you can do on this report now."),
	"report.nearby":    i18n.T("Phản ánh gần đây (có thể trùng)", "Nearby reports (possible duplicates)"),
	"report.support":   i18n.T("người cùng phản ánh", "people also reported it"),
	"report.urgent":    i18n.T("Phản ánh khẩn", "Urgent report"),
	"form.note":        i18n.T("Nội dung / lý do", "Text / reason"),
	"form.answer":      i18n.T("Nội dung trả lời (công khai)", "Answer (published)"),
	"form.reason":      i18n.T("Lý do", "Reason"),
	"form.to_agency":   i18n.T("Cơ quan nhận", "Receiving agency"),
	"form.due_at":      i18n.T("Thời hạn mới", "New deadline"),
	"form.dupof":       i18n.T("Mã phản ánh gốc (ID)", "Original report (ID)"),
	"form.submit":      i18n.T("Lưu", "Save"),
	"form.errors":      i18n.T("Chưa lưu được. Hãy sửa các ô được đánh dấu.", "Not saved. Please correct the marked fields."),
	"form.required":    i18n.T("bắt buộc", "required"),
	"done":             i18n.T("Đã lưu.", "Saved."),
	"triage.title":     i18n.T("Điều phối phản ánh", "Triage"),
	"triage.new":       i18n.T("Phản ánh mới chờ chuyển xử lý", "New reports awaiting dispatch"),
	"triage.ext":       i18n.T("Đề nghị gia hạn chờ duyệt", "Extension requests to decide"),
	"triage.overdue":   i18n.T("Quá hạn, mọi cơ quan", "Overdue, all agencies"),
	"triage.suggest":   i18n.T("Gợi ý", "Suggested"),
	"triage.spam":      i18n.T("Phản ánh không hợp lệ / spam", "Not a valid report / spam"),
	"staff.title":      i18n.T("Tài khoản cán bộ", "Staff accounts"),
	"staff.add":        i18n.T("Thêm cán bộ", "Add a staff member"),
	"staff.name":       i18n.T("Họ tên", "Name"),
	"staff.email":      i18n.T("Email", "Email"),
	"staff.role":       i18n.T("Vai trò", "Role"),
	"staff.agency":     i18n.T("Cơ quan", "Agency"),
	"staff.password":   i18n.T("Mật khẩu ban đầu (ít nhất 10 ký tự)", "Initial password (at least 10 characters)"),
	"staff.disabled":   i18n.T("Đã khóa", "Disabled"),
	"staff.active":     i18n.T("Đang hoạt động", "Active"),
	"staff.disable":    i18n.T("Khóa tài khoản", "Disable"),
	"staff.enable":     i18n.T("Mở khóa", "Enable"),
	"staff.reset":      i18n.T("Đặt lại mật khẩu", "Reset password"),
	"staff.temp":       i18n.T("Mật khẩu tạm thời (chỉ hiện một lần, hãy chuyển cho người dùng qua kênh an toàn)", "Temporary password (shown once; hand it over through a safe channel)"),
	"staff.assign":     i18n.T("Đổi vai trò / cơ quan", "Change role / agency"),
	"staff.more":       i18n.T("Trang sau", "Next page"),
	"ref.title":        i18n.T("Dữ liệu danh mục", "Reference data"),
	"ref.categories":   i18n.T("Lĩnh vực", "Categories"),
	"ref.agencies":     i18n.T("Cơ quan", "Agencies"),
	"ref.areas":        i18n.T("Đơn vị hành chính", "Areas"),
	"ref.rules":        i18n.T("Quy tắc định tuyến", "Routing rules"),
	"ref.calendar":     i18n.T("Lịch làm việc", "Working calendar"),
	"ref.audit":        i18n.T("Nhật ký thay đổi", "Change log"),
	"ref.new":          i18n.T("Thêm mới", "Add new"),
	"ref.edit":         i18n.T("Sửa", "Edit"),
	"ref.delete":       i18n.T("Xóa", "Delete"),
	"ref.code":         i18n.T("Mã", "Code"),
	"ref.name_vi":      i18n.T("Tên tiếng Việt", "Vietnamese name"),
	"ref.name_en":      i18n.T("Tên tiếng Anh", "English name"),
	"ref.sort":         i18n.T("Thứ tự", "Order"),
	"ref.active":       i18n.T("Đang hoạt động", "Active"),
	"ref.kind":         i18n.T("Loại", "Kind"),
	"ref.level":        i18n.T("Cấp", "Level"),
	"ref.parent":       i18n.T("Trực thuộc", "Parent"),
	"ref.official":     i18n.T("Mã đơn vị hành chính quốc gia", "National administrative unit code"),
	"ref.historical":   i18n.T("Đã giải thể hoặc sáp nhập (giữ cho phản ánh cũ, không chọn được cho phản ánh mới)", "No longer exists (kept for old reports, not selectable for new ones)"),
	"ref.successor":    i18n.T("Đơn vị kế thừa (mã)", "Successor unit (code)"),
	"ref.area":         i18n.T("Địa bàn", "Area"),
	"ref.phone":        i18n.T("Điện thoại", "Phone"),
	"ref.address":      i18n.T("Địa chỉ", "Address"),
	"ref.default_ag":   i18n.T("Cơ quan mặc định", "Default agency"),
	"ref.urgent":       i18n.T("Nhận phản ánh khẩn", "Takes urgent reports"),
	"ref.oos":          i18n.T("Ngoài phạm vi (chỉ hướng dẫn kênh khác)", "Out of scope (points to another channel)"),
	"ref.oos_msg_vi":   i18n.T("Hướng dẫn khi ngoài phạm vi (tiếng Việt)", "Out-of-scope guidance (Vietnamese)"),
	"ref.oos_msg_en":   i18n.T("Hướng dẫn khi ngoài phạm vi (tiếng Anh)", "Out-of-scope guidance (English)"),
	"ref.auto":         i18n.T("Tự động chuyển xử lý", "Dispatch automatically"),
	"ref.boundary":     i18n.T("Ranh giới (GeoJSON Polygon/MultiPolygon; để trống thì dùng bản đồ có sẵn theo mã quốc gia, nếu có)", "Boundary (GeoJSON Polygon/MultiPolygon; empty uses the built-in map for the national code, if any)"),
	"ref.any":          i18n.T("(mọi)", "(any)"),
	"ref.none":         i18n.T("(không)", "(none)"),
	"cal.hours":        i18n.T("Giờ làm việc (vd. 07:00-11:30, 13:30-17:00; để trống là ngày nghỉ)", "Working hours (e.g. 07:00-11:30, 13:30-17:00; empty is a day off)"),
	"cal.sla":          i18n.T("Thời hạn mặc định (QĐ 17/2022/QĐ-UBND; thời hạn giải quyết là lựa chọn của tỉnh)", "Default time limits (QĐ 17/2022/QĐ-UBND; the resolution limit is a local choice)"),
	"cal.urgent":       i18n.T("Thời hạn phản ánh khẩn (lựa chọn của tỉnh)", "Urgent limits (a local choice)"),
	"cal.dispatch_h":   i18n.T("Chuyển xử lý (giờ làm việc)", "Dispatch (working hours)"),
	"cal.dispatch_off": i18n.T("Chuyển xử lý ngày nghỉ (giờ)", "Dispatch on a day off (hours)"),
	"cal.response_h":   i18n.T("Phản hồi (giờ làm việc)", "Response (working hours)"),
	"cal.response_off": i18n.T("Phản hồi ngày nghỉ (giờ)", "Response on a day off (hours)"),
	"cal.resolve_d":    i18n.T("Giải quyết (ngày làm việc)", "Resolution (working days)"),
	"cal.autoclose":    i18n.T("Tự đóng sau khi trả lời (ngày)", "Close automatically after the answer (days)"),
	"cal.year":         i18n.T("Năm", "Year"),
	"cal.holidays":     i18n.T("Ngày nghỉ lễ và nghỉ bù (mỗi dòng: YYYY-MM-DD | tên tiếng Việt | tên tiếng Anh | nguồn)", "Holidays and days off in lieu (one per line: YYYY-MM-DD | Vietnamese name | English name | source)"),
	"cal.workdays":     i18n.T("Ngày làm bù (mỗi dòng: YYYY-MM-DD | tên tiếng Việt | tên tiếng Anh | nguồn)", "Make-up working days (one per line: YYYY-MM-DD | Vietnamese name | English name | source)"),
	"cal.provisional":  i18n.T("Dự kiến (chưa có thông báo chính thức của Chính phủ)", "Provisional (no official government notice yet)"),
	"cal.zone":         i18n.T("Múi giờ", "Time zone"),
	"audit.when":       i18n.T("Thời điểm", "When"),
	"audit.who":        i18n.T("Người thực hiện", "Who"),
	"audit.what":       i18n.T("Thay đổi", "Change"),
	"notfound":         i18n.T("Không tìm thấy trang hoặc phản ánh này.", "This page or report was not found."),
	"forbidden":        i18n.T("Bạn không có quyền xem trang này.", "You may not see this page."),
	"error":            i18n.T("Đã có lỗi. Hãy thử lại.", "Something went wrong. Please try again."),
	"csrf":             i18n.T("Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và thử lại.", "The form expired or is not valid. Reload the page and try again."),
	"system":           i18n.T("Hệ thống (tự động)", "System (automatic)"),
	"back":             i18n.T("Quay lại hàng đợi", "Back to the queue"),
}

// tr returns the message key in lang; an unknown key shows itself, so a
// missing translation is visible rather than blank.
func tr(lang i18n.Lang, key string) string { return label(messages, lang, key) }

// label looks a code up in one of the label tables; an unknown code shows
// itself.
func label[K ~string](table map[K]i18n.Text, lang i18n.Lang, k K) string {
	if t, ok := table[k]; ok {
		return t.In(lang)
	}
	return string(k)
}

var province = feedback.ProvinceLocation()

// formatTime shows an instant in the province's zone; it takes a time or
// a pointer to one (nil shows a dash).
func formatTime(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x != nil {
			t = *x
		}
	}
	if t.IsZero() {
		return "—"
	}
	return t.In(province).Format("02/01/2006 15:04")
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(province).Format("2006-01-02")
}

// formatDuration writes a duration the way a person reads a deadline:
// "2 ngày 3 giờ", "45 phút".
func formatDuration(lang i18n.Lang, d time.Duration) string {
	if d < 0 {
		d = -d
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	unit := func(n int, vi, en, ens string) string {
		if lang == i18n.EN {
			if n == 1 {
				return fmt.Sprintf("%d %s", n, en)
			}
			return fmt.Sprintf("%d %s", n, ens)
		}
		return fmt.Sprintf("%d %s", n, vi)
	}
	switch {
	case days > 0:
		return unit(days, "ngày", "day", "days") + " " + unit(hours, "giờ", "hour", "hours")
	case hours > 0:
		return unit(hours, "giờ", "hour", "hours") + " " + unit(mins, "phút", "minute", "minutes")
	}
	return unit(mins, "phút", "minute", "minutes")
}

var statusLabels = map[feedback.Status]i18n.Text{
	feedback.StatusSubmitted:  i18n.T("Mới tiếp nhận", "New"),
	feedback.StatusDispatched: i18n.T("Đã chuyển xử lý", "Dispatched"),
	feedback.StatusAccepted:   i18n.T("Đã tiếp nhận", "Accepted"),
	feedback.StatusInProgress: i18n.T("Đang xử lý", "In progress"),
	feedback.StatusResolved:   i18n.T("Đã trả lời", "Answered"),
	feedback.StatusClosed:     i18n.T("Đã đóng", "Closed"),
	feedback.StatusRejected:   i18n.T("Từ chối", "Rejected"),
}

func statusLabel(lang i18n.Lang, s feedback.Status) string { return label(statusLabels, lang, s) }

// actionLabels are the workflow's own words for each button.
var actionLabels = map[string]i18n.Text{
	string(feedback.ActDispatch):         i18n.T("Chuyển xử lý", "Dispatch"),
	string(feedback.ActAccept):           i18n.T("Tiếp nhận", "Accept"),
	string(feedback.ActStart):            i18n.T("Bắt đầu xử lý", "Start"),
	string(feedback.ActResolve):          i18n.T("Trả lời", "Respond"),
	string(feedback.ActTransfer):         i18n.T("Chuyển đơn vị", "Transfer"),
	string(feedback.ActReject):           i18n.T("Từ chối", "Reject"),
	string(feedback.ActRequestExtension): i18n.T("Xin gia hạn", "Request extension"),
	string(feedback.ActApproveExtension): i18n.T("Duyệt gia hạn", "Approve extension"),
	string(feedback.ActRefuseExtension):  i18n.T("Không duyệt gia hạn", "Refuse extension"),
	string(feedback.ActReopen):           i18n.T("Mở lại", "Reopen"),
	string(feedback.ActClose):            i18n.T("Đóng", "Close"),
	"duplicate":                          i18n.T("Đánh dấu trùng", "Mark duplicate"),
	"reroute":                            i18n.T("Định tuyến lại", "Re-route"),
}

func actionLabel(lang i18n.Lang, a string) string { return label(actionLabels, lang, a) }

var roleLabels = map[identity.Role]i18n.Text{
	identity.RoleOfficer:     i18n.T("Cán bộ xử lý", "Officer"),
	identity.RoleAgencyAdmin: i18n.T("Quản trị cơ quan", "Agency admin"),
	identity.RoleCoordinator: i18n.T("Điều phối viên", "Coordinator"),
	identity.RoleAnalyst:     i18n.T("Phân tích", "Analyst"),
	identity.RoleAdmin:       i18n.T("Quản trị hệ thống", "Administrator"),
	identity.RoleCitizen:     i18n.T("Người dân", "Citizen"),
	identity.RoleGuest:       i18n.T("Khách", "Guest"),
}

func roleLabel(lang i18n.Lang, r identity.Role) string { return label(roleLabels, lang, r) }
