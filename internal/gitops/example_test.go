package gitops_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/omenhq/omen/internal/gitops"
)

// A branch with one commit over main, then a pull request for it. Run
// again with the same changes, Propose pushes nothing and FindOpen finds
// the pull request already open.
func ExampleRepo_Propose() {
	ctx := context.Background()
	token := os.Getenv(gitops.EnvToken)
	repo, err := gitops.Clone(ctx, gitops.Config{Remote: "https://github.com/acme/rules.git", Token: token})
	if err != nil {
		log.Fatal(err)
	}
	defer repo.Close()
	src, err := repo.ReadFile(ctx, "main", "rules/app.yml")
	if err != nil {
		log.Fatal(err)
	}
	edited := src // the rule editor's output
	res, err := repo.Propose(ctx, gitops.ProposeRequest{
		Base: "main", Branch: "omen/rules-1a2b3c4d5e",
		Changes: []gitops.Change{{Path: "rules/app.yml", Content: edited}},
		Message: "omen: tune HighErrorRate\n\nOmen-Proposal: 3f2a9c1b7d4e\n",
	})
	if err != nil {
		log.Fatal(err)
	}
	forge, err := gitops.NewForge(gitops.ForgeConfig{Kind: "github", Repo: "acme/rules", Token: token})
	if err != nil {
		log.Fatal(err)
	}
	pr, err := forge.FindOpen(ctx, res.Branch)
	if err != nil {
		log.Fatal(err)
	}
	if pr == nil {
		if pr, err = forge.Create(ctx, gitops.NewPullRequest{Head: res.Branch, Base: "main", Title: "omen: tune HighErrorRate", Body: "…"}); err != nil {
			_ = repo.Restore(ctx, res) // nothing half-done
			log.Fatal(err)
		}
	}
	fmt.Println(pr.URL)
}

// Apply and roll back on a GitOps deploy branch: a plain commit on top,
// then a revert commit.
func ExampleRepo_Revert() {
	ctx := context.Background()
	repo, err := gitops.Clone(ctx, gitops.Config{Remote: "/srv/git/rules.git"})
	if err != nil {
		log.Fatal(err)
	}
	defer repo.Close()
	applied, err := repo.Commit(ctx, gitops.CommitRequest{Branch: "deploy", Changes: []gitops.Change{{Path: "rules/app.yml", Content: []byte("…")}},
		Message: "omen: apply HighErrorRate\n\nOmen-Proposal: 3f2a9c1b7d4e\n"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := repo.Revert(ctx, gitops.RevertRequest{Branch: "deploy", Commit: applied.Commit}); err != nil {
		log.Fatal(err)
	}
}
