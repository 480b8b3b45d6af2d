"""The local web app for sales reps: `expectmatrix serve`."""
