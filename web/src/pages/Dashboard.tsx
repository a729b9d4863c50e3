// The dashboard (issue 18 item 5): for every signed-in user (management, council, policy adviser)
// over every project they have any access to, those they may see only as a total under the
// k = 5 rule (docs/security.md §3b): homes per year planned vs P50/P80, homes by a switchable
// grouping (?group_by=planstatus|plantype|phase|home_type|tenure), knelpunten per process step
// and lead times per step, and the policy goals with their probability (Goals.tsx). Each figure is a chart with its data table beside it
// (components/dashboard.tsx); every figure is GET /api/v1/dashboard's.
import './dashboard.css';
import { GroupFigure, groupLabel, HOME_GROUPS, KnelpuntFigure, LeadTimeFigure, useStepNames, YearFigure } from '../components/dashboard';
import { lang, strings } from '../lib/i18n';
import { location, navigate } from '../lib/router';
import { useRequireLogin } from '../lib/guard';
import { useSignal } from '../lib/signal';
import { GoalsOverview } from './Goals';

const S = strings({
  nl: {
    title: 'Dashboard',
    intro: 'Cijfers over alle projecten waartoe u toegang hebt, ook de projecten die u alleen als totaal mag zien.',
    kRule:
      'De k = 5-regel: projecten die u alleen als totaal mag zien, tellen in een rij pas mee als minstens 5 van zulke projecten eraan bijdragen; kleinere groepen staan samen in de rij ‘Samengevoegd’, en zijn het er in totaal minder dan 5, dan zijn ze weggelaten. Zo is nooit één vertrouwelijk project uit de cijfers af te leiden.',
    year: 'Woningen per jaar: gepland en prognose (P50/P80)',
    yearNote:
      'Netto woningen (sloop telt negatief) naar het jaar van de geplande oplevering en van de P50- en P80-prognose. Een prognose is er alleen voor projecten die Bouwstroom zelf plant; de prognosekolommen tellen dus alleen die woningen.',
    group: 'Woningen naar kenmerk',
    groupBy: 'Indelen naar',
    knelpunten: 'Knelpunten per processtap',
    knelpuntNote: 'Projecten met een termijn die niet te halen is, bij de stap waarvan de uiterste einddatum wordt gemist.',
    leadTimes: 'Doorlooptijden per processtap',
    leadNote: 'Afgeronde stappen met een werkelijke begin- en einddatum; de mediaan en P80 in kalenderdagen. Lopende stappen worden geteld, maar tellen niet mee in de mediaan en P80.',
  },
  en: {
    title: 'Dashboard',
    intro: 'Figures over every project you have access to, including the projects you may see only as a total.',
    kRule:
      'The k = 5 rule: projects you may see only as a total count in a row only when at least 5 such projects contribute to it; smaller groups are together in the row ‘Merged’, and when there are fewer than 5 in all they are left out. So no single confidential project can be inferred from the figures.',
    year: 'Homes per year: planned and forecast (P50/P80)',
    yearNote:
      'Net homes (demolition counts negative) by the year of the planned delivery and of the P50 and P80 forecast. A forecast exists only for projects Bouwstroom plans itself, so the forecast columns count only those homes.',
    group: 'Homes by characteristic',
    groupBy: 'Group by',
    knelpunten: 'Knelpunten per process step',
    knelpuntNote: 'Projects with a deadline that cannot be met, at the step whose latest finish date is missed.',
    leadTimes: 'Lead times per process step',
    leadNote: 'Finished steps with an actual start and finish date; the median and P80 in calendar days. Running steps are counted but are not in the median and P80.',
  },
});

export default function Dashboard() {
  const user = useRequireLogin();
  const loc = useSignal(location);
  useSignal(lang);
  const stepName = useStepNames(!!user);
  const s = S();
  const asked = loc.query.get('group_by') ?? '';
  const by = (HOME_GROUPS as readonly string[]).includes(asked) ? asked : 'planstatus';
  if (!user) return null;
  return (
    <section class="bs-dashboard">
      <h1 class="utrecht-heading-1">{s.title}</h1>
      <p class="utrecht-paragraph">{s.intro}</p>
      <p class="utrecht-paragraph bs-k-rule" id="k-rule">
        {s.kRule}
      </p>
      <YearFigure id="dash-year" title={s.year} publicOnly={false} note={s.yearNote} />
      <GroupFigure
        id="dash-group"
        title={s.group}
        publicOnly={false}
        by={by}
        controls={
          <div class="bs-field bs-group-by">
            <label class="utrecht-form-label" for="dash-group-by">
              {s.groupBy}
            </label>
            <select
              id="dash-group-by"
              class="utrecht-select utrecht-select--html-select"
              value={by}
              onChange={(e) => navigate(`/dashboard?group_by=${(e.currentTarget as HTMLSelectElement).value}`, true)}
            >
              {HOME_GROUPS.map((g) => (
                <option value={g}>{groupLabel(g)}</option>
              ))}
            </select>
          </div>
        }
      />
      <KnelpuntFigure id="dash-knelpunten" title={s.knelpunten} publicOnly={false} note={s.knelpuntNote} stepName={stepName} />
      <LeadTimeFigure id="dash-lead-times" title={s.leadTimes} publicOnly={false} note={s.leadNote} stepName={stepName} />
      {/* GOALS (beleidsdoelen): the goals of the user's organisations with their probability; each
          goal's page (/goals/{id}) has the projects that matter most */}
      <GoalsOverview />
    </section>
  );
}
