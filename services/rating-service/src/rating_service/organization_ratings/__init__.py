"""Organization star ratings: schemes of areas and indicators, ratings, veto, showcase criteria."""
