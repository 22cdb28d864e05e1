package fake

import (
	"strconv"
	"strings"
)

// The Content API's demo data: the 114 chapters with their real names, the
// juz and page each verse is on, and the text of the verses. The Uthmani text
// (as quran.com shows it) and M. M. Pickthall's English (1930, public domain)
// are real for Al-Fatiha, 2:255-257, Al-Ikhlas and most verses the demo posts
// are on; every other verse has a placeholder that says it is one, so that no
// demo can pass it off as scripture.

// chapterInfo is what the chapter list says of one chapter besides its verse
// count, which chapterVerses knows.
type chapterInfo struct {
	simple, arabic, english string
	order                   int // revelation order (the standard Egyptian one): 87 and later are Madinan
	page                    int // the page of the 604-page Madani mushaf it starts on
}

// madinanFrom is the first revelation order of the chapters revealed in Madinah.
const madinanFrom = 87

// chapterInfos are the chapters, 1 first.
func chapterInfos() []chapterInfo {
	return []chapterInfo{
		{"Al-Fatihah", "الفاتحة", "The Opener", 5, 1},
		{"Al-Baqarah", "البقرة", "The Cow", 87, 2},
		{"Ali 'Imran", "آل عمران", "Family of Imran", 89, 50},
		{"An-Nisa", "النساء", "The Women", 92, 77},
		{"Al-Ma'idah", "المائدة", "The Table Spread", 112, 106},
		{"Al-An'am", "الأنعام", "The Cattle", 55, 128},
		{"Al-A'raf", "الأعراف", "The Heights", 39, 151},
		{"Al-Anfal", "الأنفال", "The Spoils of War", 88, 177},
		{"At-Tawbah", "التوبة", "The Repentance", 113, 187},
		{"Yunus", "يونس", "Jonah", 51, 208},
		{"Hud", "هود", "Hud", 52, 221},
		{"Yusuf", "يوسف", "Joseph", 53, 235},
		{"Ar-Ra'd", "الرعد", "The Thunder", 96, 249},
		{"Ibrahim", "إبراهيم", "Abraham", 72, 255},
		{"Al-Hijr", "الحجر", "The Rocky Tract", 54, 262},
		{"An-Nahl", "النحل", "The Bee", 70, 267},
		{"Al-Isra", "الإسراء", "The Night Journey", 50, 282},
		{"Al-Kahf", "الكهف", "The Cave", 69, 293},
		{"Maryam", "مريم", "Mary", 44, 305},
		{"Taha", "طه", "Ta-Ha", 45, 312},
		{"Al-Anbya", "الأنبياء", "The Prophets", 73, 322},
		{"Al-Hajj", "الحج", "The Pilgrimage", 103, 332},
		{"Al-Mu'minun", "المؤمنون", "The Believers", 74, 342},
		{"An-Nur", "النور", "The Light", 102, 350},
		{"Al-Furqan", "الفرقان", "The Criterion", 42, 359},
		{"Ash-Shu'ara", "الشعراء", "The Poets", 47, 367},
		{"An-Naml", "النمل", "The Ant", 48, 377},
		{"Al-Qasas", "القصص", "The Stories", 49, 385},
		{"Al-'Ankabut", "العنكبوت", "The Spider", 85, 396},
		{"Ar-Rum", "الروم", "The Romans", 84, 404},
		{"Luqman", "لقمان", "Luqman", 57, 411},
		{"As-Sajdah", "السجدة", "The Prostration", 75, 415},
		{"Al-Ahzab", "الأحزاب", "The Combined Forces", 90, 418},
		{"Saba", "سبإ", "Sheba", 58, 428},
		{"Fatir", "فاطر", "Originator", 43, 434},
		{"Ya-Sin", "يس", "Ya Sin", 41, 440},
		{"As-Saffat", "الصافات", "Those who set the Ranks", 56, 446},
		{"Sad", "ص", "The Letter \"Saad\"", 38, 453},
		{"Az-Zumar", "الزمر", "The Troops", 59, 458},
		{"Ghafir", "غافر", "The Forgiver", 60, 467},
		{"Fussilat", "فصلت", "Explained in Detail", 61, 477},
		{"Ash-Shuraa", "الشورى", "The Consultation", 62, 483},
		{"Az-Zukhruf", "الزخرف", "The Ornaments of Gold", 63, 489},
		{"Ad-Dukhan", "الدخان", "The Smoke", 64, 496},
		{"Al-Jathiyah", "الجاثية", "The Crouching", 65, 499},
		{"Al-Ahqaf", "الأحقاف", "The Wind-Curved Sandhills", 66, 502},
		{"Muhammad", "محمد", "Muhammad", 95, 507},
		{"Al-Fath", "الفتح", "The Victory", 111, 511},
		{"Al-Hujurat", "الحجرات", "The Rooms", 106, 515},
		{"Qaf", "ق", "The Letter \"Qaf\"", 34, 518},
		{"Adh-Dhariyat", "الذاريات", "The Winnowing Winds", 67, 520},
		{"At-Tur", "الطور", "The Mount", 76, 523},
		{"An-Najm", "النجم", "The Star", 23, 526},
		{"Al-Qamar", "القمر", "The Moon", 37, 528},
		{"Ar-Rahman", "الرحمن", "The Beneficent", 97, 531},
		{"Al-Waqi'ah", "الواقعة", "The Inevitable", 46, 534},
		{"Al-Hadid", "الحديد", "The Iron", 94, 537},
		{"Al-Mujadila", "المجادلة", "The Pleading Woman", 105, 542},
		{"Al-Hashr", "الحشر", "The Exile", 101, 545},
		{"Al-Mumtahanah", "الممتحنة", "She that is to be examined", 91, 549},
		{"As-Saf", "الصف", "The Ranks", 109, 551},
		{"Al-Jumu'ah", "الجمعة", "The Congregation, Friday", 110, 553},
		{"Al-Munafiqun", "المنافقون", "The Hypocrites", 104, 554},
		{"At-Taghabun", "التغابن", "The Mutual Disillusion", 108, 556},
		{"At-Talaq", "الطلاق", "The Divorce", 99, 558},
		{"At-Tahrim", "التحريم", "The Prohibition", 107, 560},
		{"Al-Mulk", "الملك", "The Sovereignty", 77, 562},
		{"Al-Qalam", "القلم", "The Pen", 2, 564},
		{"Al-Haqqah", "الحاقة", "The Reality", 78, 566},
		{"Al-Ma'arij", "المعارج", "The Ascending Stairways", 79, 568},
		{"Nuh", "نوح", "Noah", 71, 570},
		{"Al-Jinn", "الجن", "The Jinn", 40, 572},
		{"Al-Muzzammil", "المزمل", "The Enshrouded One", 3, 574},
		{"Al-Muddaththir", "المدثر", "The Cloaked One", 4, 575},
		{"Al-Qiyamah", "القيامة", "The Resurrection", 31, 577},
		{"Al-Insan", "الانسان", "The Man", 98, 578},
		{"Al-Mursalat", "المرسلات", "The Emissaries", 33, 580},
		{"An-Naba", "النبإ", "The Tidings", 80, 582},
		{"An-Nazi'at", "النازعات", "Those who drag forth", 81, 583},
		{"'Abasa", "عبس", "He Frowned", 24, 585},
		{"At-Takwir", "التكوير", "The Overthrowing", 7, 586},
		{"Al-Infitar", "الإنفطار", "The Cleaving", 82, 587},
		{"Al-Mutaffifin", "المطففين", "The Defrauding", 86, 587},
		{"Al-Inshiqaq", "الإنشقاق", "The Sundering", 83, 589},
		{"Al-Buruj", "البروج", "The Mansions of the Stars", 27, 590},
		{"At-Tariq", "الطارق", "The Nightcommer", 36, 591},
		{"Al-A'la", "الأعلى", "The Most High", 8, 591},
		{"Al-Ghashiyah", "الغاشية", "The Overwhelming", 68, 592},
		{"Al-Fajr", "الفجر", "The Dawn", 10, 593},
		{"Al-Balad", "البلد", "The City", 35, 594},
		{"Ash-Shams", "الشمس", "The Sun", 26, 595},
		{"Al-Layl", "الليل", "The Night", 9, 595},
		{"Ad-Duhaa", "الضحى", "The Morning Hours", 11, 596},
		{"Ash-Sharh", "الشرح", "The Relief", 12, 596},
		{"At-Tin", "التين", "The Fig", 28, 597},
		{"Al-'Alaq", "العلق", "The Clot", 1, 597},
		{"Al-Qadr", "القدر", "The Power", 25, 598},
		{"Al-Bayyinah", "البينة", "The Clear Proof", 100, 598},
		{"Az-Zalzalah", "الزلزلة", "The Earthquake", 93, 599},
		{"Al-'Adiyat", "العاديات", "The Courser", 14, 599},
		{"Al-Qari'ah", "القارعة", "The Calamity", 30, 600},
		{"At-Takathur", "التكاثر", "The Rivalry in world increase", 16, 600},
		{"Al-'Asr", "العصر", "The Declining Day", 13, 601},
		{"Al-Humazah", "الهمزة", "The Traducer", 32, 601},
		{"Al-Fil", "الفيل", "The Elephant", 19, 601},
		{"Quraysh", "قريش", "Quraysh", 29, 602},
		{"Al-Ma'un", "الماعون", "The Small kindnesses", 17, 602},
		{"Al-Kawthar", "الكوثر", "The Abundance", 15, 602},
		{"Al-Kafirun", "الكافرون", "The Disbelievers", 18, 603},
		{"An-Nasr", "النصر", "The Divine Support", 114, 603},
		{"Al-Masad", "المسد", "The Palm Fiber", 6, 603},
		{"Al-Ikhlas", "الإخلاص", "The Sincerity", 22, 604},
		{"Al-Falaq", "الفلق", "The Daybreak", 20, 604},
		{"An-Nas", "الناس", "Mankind", 21, 604},
	}
}

// juzStarts is the cumulative index of the first verse of each of the 30 juz.
func juzStarts() []int {
	starts := [][2]int{{1, 1}, {2, 142}, {2, 253}, {3, 93}, {4, 24}, {4, 148}, {5, 82}, {6, 111},
		{7, 88}, {8, 41}, {9, 93}, {11, 6}, {12, 53}, {15, 1}, {17, 1}, {18, 75}, {21, 1}, {23, 1},
		{25, 21}, {27, 56}, {29, 46}, {33, 31}, {36, 28}, {39, 32}, {41, 47}, {46, 1}, {51, 31},
		{58, 1}, {67, 1}, {78, 1}}
	out := make([]int, len(starts))
	for i, st := range starts {
		out[i] = verseKey{chapter: st[0], verse: st[1]}.index()
	}
	return out
}

// lastPage is the last page of the mushaf.
const lastPage = 604

// place is where a verse is in the mushaf. The juz is exact; the hizb (half a
// juz) and the page are interpolated, not looked up: the emulator has no table
// of every verse's page, and no client should rely on them.
type place struct{ juz, hizb, page int }

func placeOf(k verseKey) place {
	idx := k.index()
	starts := juzStarts()
	juz := 1
	for j, st := range starts {
		if st <= idx {
			juz = j + 1
		}
	}
	next := totalVerses + 1
	if juz < len(starts) {
		next = starts[juz]
	}
	hizb := 2*juz - 1
	if first := starts[juz-1]; idx >= first+(next-first)/2 {
		hizb++
	}
	from, to := chapterPages(k.chapter)
	page := from + (k.verse-1)*(to-from+1)/chapterVerses(k.chapter)
	return place{juz: juz, hizb: hizb, page: page}
}

// chapterPages are the first and last page of a chapter; the last is taken to
// be the page before the next chapter starts (or that page, when they share it).
func chapterPages(chapter int) (from, to int) {
	infos := chapterInfos()
	from, to = infos[chapter-1].page, lastPage
	if chapter < chapters {
		to = max(from, infos[chapter].page-1)
	}
	return from, to
}

// uthmaniPlaceholder and translationPlaceholder mark a verse whose real text
// the emulator does not carry.
func uthmaniPlaceholder(k verseKey) string { return "[demo text of " + k.String() + "]" }

func translationPlaceholder(k verseKey) string {
	return "[demo translation of " + k.String() + "]"
}

// uthmaniText is the Uthmani text of k, or its placeholder.
func uthmaniText(texts map[string]string, k verseKey) string {
	if t, ok := texts[k.String()]; ok {
		return t
	}
	return uthmaniPlaceholder(k)
}

// uthmaniVerses are the verses whose real Uthmani text the emulator carries.
func uthmaniVerses() map[string]string {
	return map[string]string{
		"1:1": "بِسْمِ ٱللَّهِ ٱلرَّحْمَـٰنِ ٱلرَّحِيمِ",
		"1:2": "ٱلْحَمْدُ لِلَّهِ رَبِّ ٱلْعَـٰلَمِينَ",
		"1:3": "ٱلرَّحْمَـٰنِ ٱلرَّحِيمِ",
		"1:4": "مَـٰلِكِ يَوْمِ ٱلدِّينِ",
		"1:5": "إِيَّاكَ نَعْبُدُ وَإِيَّاكَ نَسْتَعِينُ",
		"1:6": "ٱهْدِنَا ٱلصِّرَٰطَ ٱلْمُسْتَقِيمَ",
		"1:7": "صِرَٰطَ ٱلَّذِينَ أَنْعَمْتَ عَلَيْهِمْ غَيْرِ ٱلْمَغْضُوبِ عَلَيْهِمْ وَلَا ٱلضَّآلِّينَ",

		"2:1": "الٓمٓ",
		"2:2": "ذَٰلِكَ ٱلْكِتَـٰبُ لَا رَيْبَ ۛ فِيهِ ۛ هُدًى لِّلْمُتَّقِينَ",
		"2:3": "ٱلَّذِينَ يُؤْمِنُونَ بِٱلْغَيْبِ وَيُقِيمُونَ ٱلصَّلَوٰةَ وَمِمَّا رَزَقْنَـٰهُمْ يُنفِقُونَ",
		"2:4": "وَٱلَّذِينَ يُؤْمِنُونَ بِمَآ أُنزِلَ إِلَيْكَ وَمَآ أُنزِلَ مِن قَبْلِكَ وَبِٱلْـَٔاخِرَةِ هُمْ يُوقِنُونَ",
		"2:5": "أُو۟لَـٰٓئِكَ عَلَىٰ هُدًى مِّن رَّبِّهِمْ ۖ وَأُو۟لَـٰٓئِكَ هُمُ ٱلْمُفْلِحُونَ",

		"2:254": "يَـٰٓأَيُّهَا ٱلَّذِينَ ءَامَنُوٓا۟ أَنفِقُوا۟ مِمَّا رَزَقْنَـٰكُم مِّن قَبْلِ أَن يَأْتِىَ يَوْمٌ لَّا بَيْعٌ فِيهِ وَلَا خُلَّةٌ وَلَا شَفَـٰعَةٌ ۗ وَٱلْكَـٰفِرُونَ هُمُ ٱلظَّـٰلِمُونَ",
		"2:255": "ٱللَّهُ لَآ إِلَـٰهَ إِلَّا هُوَ ٱلْحَىُّ ٱلْقَيُّومُ ۚ لَا تَأْخُذُهُۥ سِنَةٌ وَلَا نَوْمٌ ۚ لَّهُۥ مَا فِى ٱلسَّمَـٰوَٰتِ وَمَا فِى ٱلْأَرْضِ ۗ مَن ذَا ٱلَّذِى يَشْفَعُ عِندَهُۥٓ إِلَّا بِإِذْنِهِۦ ۚ يَعْلَمُ مَا بَيْنَ أَيْدِيهِمْ وَمَا خَلْفَهُمْ ۖ وَلَا يُحِيطُونَ بِشَىْءٍ مِّنْ عِلْمِهِۦٓ إِلَّا بِمَا شَآءَ ۚ وَسِعَ كُرْسِيُّهُ ٱلسَّمَـٰوَٰتِ وَٱلْأَرْضَ ۖ وَلَا يَـُٔودُهُۥ حِفْظُهُمَا ۚ وَهُوَ ٱلْعَلِىُّ ٱلْعَظِيمُ",
		"2:256": "لَآ إِكْرَاهَ فِى ٱلدِّينِ ۖ قَد تَّبَيَّنَ ٱلرُّشْدُ مِنَ ٱلْغَىِّ ۚ فَمَن يَكْفُرْ بِٱلطَّـٰغُوتِ وَيُؤْمِنۢ بِٱللَّهِ فَقَدِ ٱسْتَمْسَكَ بِٱلْعُرْوَةِ ٱلْوُثْقَىٰ لَا ٱنفِصَامَ لَهَا ۗ وَٱللَّهُ سَمِيعٌ عَلِيمٌ",
		"2:257": "ٱللَّهُ وَلِىُّ ٱلَّذِينَ ءَامَنُوا۟ يُخْرِجُهُم مِّنَ ٱلظُّلُمَـٰتِ إِلَى ٱلنُّورِ ۖ وَٱلَّذِينَ كَفَرُوٓا۟ أَوْلِيَآؤُهُمُ ٱلطَّـٰغُوتُ يُخْرِجُونَهُم مِّنَ ٱلنُّورِ إِلَى ٱلظُّلُمَـٰتِ ۗ أُو۟لَـٰٓئِكَ أَصْحَـٰبُ ٱلنَّارِ ۖ هُمْ فِيهَا خَـٰلِدُونَ",
		"2:285": "ءَامَنَ ٱلرَّسُولُ بِمَآ أُنزِلَ إِلَيْهِ مِن رَّبِّهِۦ وَٱلْمُؤْمِنُونَ ۚ كُلٌّ ءَامَنَ بِٱللَّهِ وَمَلَـٰٓئِكَتِهِۦ وَكُتُبِهِۦ وَرُسُلِهِۦ لَا نُفَرِّقُ بَيْنَ أَحَدٍ مِّن رُّسُلِهِۦ ۚ وَقَالُوا۟ سَمِعْنَا وَأَطَعْنَا ۖ غُفْرَانَكَ رَبَّنَا وَإِلَيْكَ ٱلْمَصِيرُ",
		"2:286": "لَا يُكَلِّفُ ٱللَّهُ نَفْسًا إِلَّا وُسْعَهَا ۚ لَهَا مَا كَسَبَتْ وَعَلَيْهَا مَا ٱكْتَسَبَتْ ۗ رَبَّنَا لَا تُؤَاخِذْنَآ إِن نَّسِينَآ أَوْ أَخْطَأْنَا ۚ رَبَّنَا وَلَا تَحْمِلْ عَلَيْنَآ إِصْرًا كَمَا حَمَلْتَهُۥ عَلَى ٱلَّذِينَ مِن قَبْلِنَا ۚ رَبَّنَا وَلَا تُحَمِّلْنَا مَا لَا طَاقَةَ لَنَا بِهِۦ ۖ وَٱعْفُ عَنَّا وَٱغْفِرْ لَنَا وَٱرْحَمْنَآ ۚ أَنتَ مَوْلَىٰنَا فَٱنصُرْنَا عَلَى ٱلْقَوْمِ ٱلْكَـٰفِرِينَ",

		"3:190": "إِنَّ فِى خَلْقِ ٱلسَّمَـٰوَٰتِ وَٱلْأَرْضِ وَٱخْتِلَـٰفِ ٱلَّيْلِ وَٱلنَّهَارِ لَـَٔايَـٰتٍ لِّأُو۟لِى ٱلْأَلْبَـٰبِ",
		"3:191": "ٱلَّذِينَ يَذْكُرُونَ ٱللَّهَ قِيَـٰمًا وَقُعُودًا وَعَلَىٰ جُنُوبِهِمْ وَيَتَفَكَّرُونَ فِى خَلْقِ ٱلسَّمَـٰوَٰتِ وَٱلْأَرْضِ رَبَّنَا مَا خَلَقْتَ هَـٰذَا بَـٰطِلًا سُبْحَـٰنَكَ فَقِنَا عَذَابَ ٱلنَّارِ",

		"13:28": "ٱلَّذِينَ ءَامَنُوا۟ وَتَطْمَئِنُّ قُلُوبُهُم بِذِكْرِ ٱللَّهِ ۗ أَلَا بِذِكْرِ ٱللَّهِ تَطْمَئِنُّ ٱلْقُلُوبُ",
		"18:10": "إِذْ أَوَى ٱلْفِتْيَةُ إِلَى ٱلْكَهْفِ فَقَالُوا۟ رَبَّنَآ ءَاتِنَا مِن لَّدُنكَ رَحْمَةً وَهَيِّئْ لَنَا مِنْ أَمْرِنَا رَشَدًا",

		"36:1": "يسٓ",
		"36:2": "وَٱلْقُرْءَانِ ٱلْحَكِيمِ",
		"36:3": "إِنَّكَ لَمِنَ ٱلْمُرْسَلِينَ",
		"36:4": "عَلَىٰ صِرَٰطٍ مُّسْتَقِيمٍ",
		"36:5": "تَنزِيلَ ٱلْعَزِيزِ ٱلرَّحِيمِ",

		"55:13": "فَبِأَىِّ ءَالَآءِ رَبِّكُمَا تُكَذِّبَانِ",
		"65:3":  "وَيَرْزُقْهُ مِنْ حَيْثُ لَا يَحْتَسِبُ ۚ وَمَن يَتَوَكَّلْ عَلَى ٱللَّهِ فَهُوَ حَسْبُهُۥٓ ۚ إِنَّ ٱللَّهَ بَـٰلِغُ أَمْرِهِۦ ۚ قَدْ جَعَلَ ٱللَّهُ لِكُلِّ شَىْءٍ قَدْرًا",
		"94:5":  "فَإِنَّ مَعَ ٱلْعُسْرِ يُسْرًا",
		"94:6":  "إِنَّ مَعَ ٱلْعُسْرِ يُسْرًا",

		"112:1": "قُلْ هُوَ ٱللَّهُ أَحَدٌ",
		"112:2": "ٱللَّهُ ٱلصَّمَدُ",
		"112:3": "لَمْ يَلِدْ وَلَمْ يُولَدْ",
		"112:4": "وَلَمْ يَكُن لَّهُۥ كُفُوًا أَحَدٌۢ",
	}
}

// pickthallVerses are the verses whose English the emulator carries: M. M.
// Pickthall's "The Meaning of the Glorious Koran" (1930, public domain), served
// in place of translation 131 (The Clear Quran, which is not free to copy). Two
// carry footnote markup, as the real API's translations do, so that the
// service's cleaning of it is exercised.
func pickthallVerses() map[string]string {
	return map[string]string{
		"1:1": "In the name of Allah, the Beneficent, the Merciful.",
		"1:2": "Praise be to Allah, Lord of the Worlds,",
		"1:3": "The Beneficent, the Merciful.",
		"1:4": "Master of the Day of Judgment,",
		"1:5": "Thee (alone) we worship; Thee (alone) we ask for help.",
		"1:6": "Show us the straight path,",
		"1:7": "The path of those whom Thou hast favoured; Not (the path) of those who earn Thine anger nor of those who go astray.",

		"2:1": "Alif. Lam. Mim.",
		"2:2": "This is the Scripture whereof there is no doubt, a guidance unto those who ward off (evil).",
		"2:3": "Who believe in the Unseen, and establish worship, and spend of that We have bestowed upon them;",
		"2:4": "And who believe in that which is revealed unto thee (Muhammad) and that which was revealed before thee, and are certain of the Hereafter.",
		"2:5": "These depend on guidance from their Lord. These are the successful.",

		"2:254": "O ye who believe! Spend of that wherewith We have provided you ere a day come when there will be no trafficking, nor friendship, nor intercession. The disbelievers, they are the wrong-doers.",
		"2:255": "Allah! There is no deity save Him, the Alive, the Eternal.<sup foot_note=81221>1</sup> Neither slumber nor sleep overtaketh Him. Unto Him belongeth whatsoever is in the heavens and whatsoever is in the earth. Who is he that intercedeth with Him save by His leave? He knoweth that which is in front of them and that which is behind them, while they encompass nothing of His knowledge save what He will. His throne includeth the heavens and the earth, and He is never weary of preserving them. He is the Sublime, the Tremendous.",
		"2:256": "There is no compulsion in religion. The right direction is henceforth distinct from error. And he who rejecteth false deities and believeth in Allah hath grasped a firm handhold which will never break. Allah is Hearer, Knower.",
		"2:257": "Allah is the Protecting Guardian of those who believe. He bringeth them out of darkness into light. As for those who disbelieve, their patrons are false deities. They bring them out of light into darkness. Such are rightful owners of the Fire. They will abide therein.",
		"2:285": "The messenger believeth in that which hath been revealed unto him from his Lord and (so do) believers. Each one believeth in Allah and His angels and His scriptures and His messengers - We make no distinction between any of His messengers - and they say: We hear, and we obey. (Grant us) Thy forgiveness, our Lord. Unto Thee is the journeying.",
		"2:286": "Allah tasketh not a soul beyond its scope. For it (is only) that which it hath earned, and against it (only) that which it hath deserved. Our Lord! Condemn us not if we forget, or miss the mark! Our Lord! Lay not on us such a burden as Thou didst lay on those before us! Our Lord! Impose not on us that which we have not the strength to bear! Pardon us, absolve us and have mercy on us, Thou, our Protector, and give us victory over the disbelieving folk.",

		"3:190": "Lo! In the creation of the heavens and the earth and (in) the difference of night and day are tokens (of His Sovereignty) for men of understanding,",
		"3:191": "Such as remember Allah, standing, sitting, and reclining, and consider the creation of the heavens and the earth, (and say): Our Lord! Thou createdst not this in vain. Glory be to Thee! Preserve us from the doom of Fire.",

		"13:28": "Who have believed and whose hearts have rest in the remembrance of Allah. Verily in the remembrance of Allah do hearts find rest!",
		"18:10": "When the young men fled for refuge to the Cave and said: Our Lord! Give us mercy from Thy presence, and shape for us right conduct in our plight.",

		"36:1": "Ya Sin.",
		"36:2": "By the wise Qur'an,",
		"36:3": "Lo! thou art of those sent",
		"36:4": "On a straight path,",
		"36:5": "A revelation of the Mighty, the Merciful,",

		"55:13": "Which is it, of the favours of your Lord, that ye deny?",
		"65:3":  "And will provide for him from (a quarter) whence he hath no expectation. And whosoever putteth his trust in Allah, He will suffice him. Lo! Allah bringeth His command to pass. Allah hath set a measure for all things.",
		"94:5":  "But lo! with hardship goeth ease,",
		"94:6":  "Lo! with hardship goeth ease;",

		"112:1": "Say: He is Allah, the One!",
		"112:2": "Allah, the eternally Besought of all!<sup foot_note=81222>2</sup>",
		"112:3": "He begetteth not nor was begotten.",
		"112:4": "And there is none comparable unto Him.",
	}
}

// translationResource is one translation the emulator serves.
type translationResource struct {
	id                 int
	name, author, slug string
	language           string
	verses             map[string]string
}

// demoTranslationID is the one translation served: quran.com's default English.
const demoTranslationID = 131

// translationResources are the translations served, by id.
func translationResources() map[int]translationResource {
	return map[int]translationResource{
		demoTranslationID: {
			id:       demoTranslationID,
			name:     "Demo: Pickthall (1930, public domain) in place of " + strconv.Itoa(demoTranslationID),
			author:   "Mohammed Marmaduke William Pickthall",
			slug:     "demo-pickthall-in-place-of-clearquran",
			language: "english",
			verses:   pickthallVerses(),
		},
	}
}

// text is the resource's text of k, or its placeholder.
func (t translationResource) text(k verseKey) string {
	if s, ok := t.verses[k.String()]; ok {
		return s
	}
	return translationPlaceholder(k)
}

// The shape of the Quran as the Content API's routes need it. The emulator
// keeps its own copy (verseCounts) rather than importing the upstream package:
// that package's tests import the emulator. content_test.go checks the two agree.
const (
	chapters    = 114
	totalVerses = 6236
)

// verseKey is one verse: its chapter and its number in the chapter.
type verseKey struct{ chapter, verse int }

// chapterVerses is how many verses chapter has; 0 for one that is not a chapter.
func chapterVerses(chapter int) int {
	if chapter < 1 || chapter > chapters {
		return 0
	}
	return verseCounts()[chapter-1]
}

func (k verseKey) valid() bool { return k.verse >= 1 && k.verse <= chapterVerses(k.chapter) }

func (k verseKey) String() string { return strconv.Itoa(k.chapter) + ":" + strconv.Itoa(k.verse) }

// index is k's cumulative place in the Quran, 1 to 6236; 0 for a key that is not valid.
func (k verseKey) index() int {
	if !k.valid() {
		return 0
	}
	n := k.verse
	for c := 1; c < k.chapter; c++ {
		n += chapterVerses(c)
	}
	return n
}

// verseAt is the verse at a cumulative index.
func verseAt(index int) (verseKey, bool) {
	if index < 1 || index > totalVerses {
		return verseKey{}, false
	}
	for c := 1; ; c++ {
		if n := chapterVerses(c); index > n {
			index -= n
			continue
		}
		return verseKey{chapter: c, verse: index}, true
	}
}

// parseVerseKey reads "2:255": decimal digits only, a verse that exists.
func parseVerseKey(s string) (verseKey, bool) {
	ch, v, ok := strings.Cut(s, ":")
	digits := func(s string) (int, bool) {
		if s == "" || len(s) > 4 || strings.Trim(s, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.Atoi(s)
		return n, err == nil
	}
	c, cok := digits(ch)
	n, nok := digits(v)
	k := verseKey{chapter: c, verse: n}
	return k, ok && cok && nok && k.valid()
}
