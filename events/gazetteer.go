package events

import "strings"

// The gazetteer maps the names, demonyms and capitals of countries (and a
// few leaders and bodies that stand for them in headlines) to one canonical
// entity, so that "Pyongyang", "North Korean" and "North Korea" agree.
//
// An alias starting with "*" is also an ordinary word ("turkey", "chad") and
// counts only when written with a capital; "^" asks for all capitals ("US").
// Text without case information (all lower-case) uses neither kind.
var gazetteerTable = []string{
	"Afghanistan|afghan|afghans|kabul|taliban",
	"Albania|albanian|tirana",
	"Algeria|algerian|algiers",
	"Argentina|argentine|argentinian|buenos aires",
	"Armenia|armenian|yerevan",
	"Australia|australian|australians|canberra|aussie",
	"Austria|austrian|vienna",
	"Bangladesh|bangladeshi|dhaka",
	"Belarus|belarusian|minsk",
	"Belgium|belgian|brussels",
	"Bolivia|bolivian",
	"Brazil|brazilian|brasilia",
	"Bulgaria|bulgarian",
	"Cambodia|cambodian|phnom penh",
	"Canada|canadian|canadians|ottawa",
	"Chile|chilean",
	"China|chinese|beijing|prc",
	"Colombia|colombian|bogota",
	"Cuba|cuban|havana",
	"Czech Republic|czech|prague",
	"Denmark|danish|copenhagen",
	"Ecuador|ecuadorian|quito",
	"Egypt|egyptian|cairo",
	"Ethiopia|ethiopian|addis ababa",
	"European Union|^eu",
	"Finland|finnish|helsinki",
	"France|french|paris|elysee",
	"Germany|german|germans|berlin",
	"Greece|greek|athens",
	"Hong Kong|hongkong",
	"Hungary|hungarian|budapest",
	"India|indian|indians|new delhi|delhi",
	"Indonesia|indonesian|jakarta",
	"Iran|iranian|tehran",
	"Iraq|iraqi|baghdad",
	"Ireland|irish|dublin",
	"Israel|israeli|israelis|jerusalem|tel aviv",
	"Italy|italian|italians|rome",
	"Japan|japanese|tokyo",
	"Jordan|*jordan|jordanian|amman",
	"Kenya|kenyan|nairobi",
	"Korea|korean|koreans|koreas",
	"Kuwait|kuwaiti",
	"Lebanon|lebanese|beirut",
	"Libya|libyan",
	"Malaysia|malaysian|kuala lumpur",
	"Mexico|mexican|mexicans",
	"Morocco|moroccan|rabat",
	"Myanmar|burma|burmese|naypyidaw",
	"Nepal|nepalese|kathmandu",
	"Netherlands|dutch|amsterdam|the hague|holland",
	"New Zealand|nz|kiwi|kiwis|wellington|aotearoa",
	"Nigeria|nigerian|abuja|lagos",
	"North Korea|north korean|north koreans|pyongyang|dprk|kim jong un|jong un",
	"Norway|norwegian|oslo",
	"Pakistan|pakistani|islamabad",
	"Palestine|palestinian|palestinians|gaza|west bank|ramallah",
	"Peru|peruvian|lima",
	"Philippines|philippine|filipino|filipinos|manila|pinoy|malacañang|malacanang",
	"Poland|polish|warsaw",
	"Portugal|portuguese|lisbon",
	"Qatar|qatari|doha",
	"Romania|romanian|bucharest",
	"Russia|russian|russians|moscow|kremlin",
	"Saudi Arabia|saudi|saudis|riyadh",
	"Senegal|senegalese|dakar",
	"Serbia|serbian|belgrade",
	"Singapore|singaporean|singaporeans|s'pore",
	"South Africa|south african|pretoria|johannesburg|cape town",
	"South Korea|south korean|south koreans|seoul",
	"Spain|spanish|madrid",
	"Sri Lanka|sri lankan|colombo",
	"Sudan|sudanese|khartoum",
	"Sweden|swedish|swedes|stockholm",
	"Switzerland|swiss|bern|geneva|zurich",
	"Syria|syrian|syrians|damascus",
	"Taiwan|taiwanese|taipei",
	"Thailand|thai|bangkok",
	"Turkey|*turkey|turkish|ankara|istanbul",
	"Ukraine|ukrainian|ukrainians|kiev|kyiv",
	"United Arab Emirates|uae|emirati|abu dhabi|dubai",
	"United Kingdom|uk|britain|british|great britain|england|london|downing street|whitehall",
	"United Nations|^un",
	"United States|^us|usa|america|american|americans|white house|pentagon",
	"Venezuela|venezuelan|caracas",
	"Vietnam|vietnamese|hanoi",
	"Yemen|yemeni|sanaa",
	"Zimbabwe|zimbabwean|harare",
}

// gazEntry is one alias as the matcher needs it.
type gazEntry struct {
	canon string
	needs byte // 0, '*' (capitalised) or '^' (all capitals)
}

// gazetteer is the alias table keyed by lower-cased alias of 1-3 words,
// with the set of first words of the aliases, which lets most words be
// passed over without building any key.
type gazetteer struct {
	alias map[string]gazEntry
	first map[string]bool
}

func newGazetteer(table []string) gazetteer {
	g := gazetteer{alias: make(map[string]gazEntry), first: make(map[string]bool)}
	for _, line := range table {
		names := strings.Split(line, "|")
		canon := names[0]
		g.put(strings.ToLower(canon), gazEntry{canon: canon})
		for _, a := range names[1:] {
			e := gazEntry{canon: canon}
			if a[0] == '*' || a[0] == '^' {
				e.needs, a = a[0], a[1:]
			}
			g.put(a, e)
		}
	}
	return g
}

func (g gazetteer) put(alias string, e gazEntry) {
	g.alias[alias] = e
	first, _, _ := strings.Cut(alias, " ")
	g.first[first] = true
}

// isAlias reports whether a lower-cased name is one of the aliases.
func (g gazetteer) isAlias(key string) bool {
	_, ok := g.alias[key]
	return ok
}

var countries = newGazetteer(gazetteerTable)

// match finds the canonical entities named in words, longest alias first.
// cased says whether the text carries case information at all.
func (g gazetteer) match(words []word, cased bool) []string {
	var out []string
	for i := 0; i < len(words); {
		n, canon := g.longest(words, i, cased)
		if n == 0 {
			i++
			continue
		}
		out = append(out, canon)
		i += n
	}
	return out
}

func (g gazetteer) longest(words []word, i int, cased bool) (int, string) {
	if !g.first[words[i].lower] {
		return 0, ""
	}
	for n := min(3, len(words)-i); n >= 1; n-- {
		var b strings.Builder
		for k := i; k < i+n; k++ {
			if k > i {
				b.WriteByte(' ')
			}
			b.WriteString(words[k].lower)
		}
		e, ok := g.alias[b.String()]
		if ok && e.accepts(words[i].raw, cased) {
			return n, e.canon
		}
	}
	return 0, ""
}

func (e gazEntry) accepts(raw string, cased bool) bool {
	switch e.needs {
	case '*':
		return cased && isCapitalised(raw)
	case '^':
		return cased && allUpper(raw)
	}
	return true
}
