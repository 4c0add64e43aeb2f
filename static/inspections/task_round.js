// The task add page: choosing a round of the plan reloads the page filled in from that round
// (InspectionTaskAdmin.get_changeform_initial_data: sector, jurisdiction, dates, ratios, team size —
// N8, N11, Y3.4). A name typed before choosing is kept; one filled in from a round is replaced.
'use strict';
{
    const round = document.getElementById('id_plan_round');
    const name = document.getElementById('id_name');
    if (round) {
        round.addEventListener('change', () => {
            const params = new URLSearchParams(window.location.search);
            if (round.value) {
                params.set('plan_round', round.value);
            } else {
                params.delete('plan_round');
            }
            params.delete('name');
            if (name && name.value && name.value !== name.defaultValue) {
                params.set('name', name.value);
            }
            window.location.search = params.toString();
        });
    }
}
